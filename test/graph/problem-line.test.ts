/** The editor's problem lines name the node, port and parameter, as the CLI's paths do. */
import { describe, expect, it } from 'vitest';
import { problemLine } from '../../src/graph';
import { validate } from '../../src/nodes';
import { template } from '../helpers/docs';

describe('problemLine', () => {
  it('names the parameter: "pred: params.hiddenDim must be …", nested ones with their path', () => {
    const doc = template('simsiam');
    const pred = doc.nodes.find((n) => n.id === 'pred')!;
    pred.params = { ...(pred.params as object), hiddenDim: -5 } as typeof pred.params;
    const aug = doc.nodes.find((n) => n.id === 'aug')!;
    const views = structuredClone((aug.params as { views: object[] }).views);
    views[1] = { ...views[1], blurP: 3 };
    aug.params = { ...(aug.params as object), views } as typeof aug.params;
    expect(validate(doc).problems.map(problemLine)).toEqual([
      'aug: params.views[1].blurP must be between 0 and 1, got 3',
      'pred: params.hiddenDim must be an integer between 1 and 65536, got -5',
    ]);
  });

  it('names the port of a wiring problem, and the path of a problem about no node', () => {
    const doc = template('simsiam');
    doc.edges = doc.edges.filter((e) => !(e.to.node === 'loss' && e.to.port === 'target'));
    expect(validate(doc).problems.map(problemLine)).toEqual(['loss.target: required input "target" (target z) is not connected']);
    expect(problemLine({ severity: 'error', code: 'param-invalid', path: 'training.batchSize', message: 'must be at least 2' })).toBe('training.batchSize: must be at least 2');
  });
});
