import { describe, expect, it } from 'vitest';
import { validate } from '../../src/nodes';
import { bypass, nodeIndex, template } from '../helpers/docs';

describe('collapse warnings (SimSiam §4)', () => {
  it('SimSiam without stop-gradient validates, with a collapse warning on the loss target', () => {
    const doc = template('simsiam');
    bypass(doc, 'sg');
    const v = validate(doc);
    expect(v.ok).toBe(true);
    expect(v.problems).toEqual([{
      severity: 'warning', code: 'collapse-no-stop-gradient', node: 'loss', port: 'target',
      path: `nodes[${nodeIndex(doc, 'loss')}]`,
      message: 'the target side of loss "loss" trains "proj" with neither stop-gradient nor EMA: likely to collapse (SimSiam §4)',
    }]);
  });

  it('SimSiam without predictor validates, with a collapse warning on the loss prediction', () => {
    const doc = template('simsiam');
    bypass(doc, 'pred');
    const v = validate(doc);
    expect(v.ok).toBe(true);
    expect(v.problems.map((p) => [p.severity, p.code, p.node, p.port])).toEqual([
      ['warning', 'collapse-no-predictor', 'loss', 'prediction'],
    ]);
  });

  it('BYOL without its predictor warns too', () => {
    const doc = template('byol');
    bypass(doc, 'pred');
    expect(validate(doc).problems.map((p) => p.code)).toEqual(['collapse-no-predictor']);
  });
});
