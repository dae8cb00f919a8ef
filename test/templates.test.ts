import { describe, expect, it } from 'vitest';
import { validate } from '../src/nodes';
import { template, templateNames } from './helpers/docs';

/** A box no node of these templates outgrows on the canvas (title, ports, shapes). */
const BOX = { width: 220, height: 200 };

describe.each(templateNames)('template %s layout', (name) => {
  const doc = template(name);
  const at = new Map(doc.nodes.map((n) => [n.id, n.position]));

  // Laid out in columns to fit 1280×720 (data over augment, predictor over loss over stop-gradient,
  // the EMA rows of BYOL and MoCo): a wire goes rightwards or stays in its column, never back left.
  it('runs left to right: no wire goes leftwards', () => {
    for (const e of doc.edges) {
      expect(at.get(e.from.node)!.x, `${e.id}: ${e.from.node} → ${e.to.node}`).toBeLessThanOrEqual(at.get(e.to.node)!.x);
    }
  });

  it('has no overlapping nodes', () => {
    for (const a of doc.nodes) {
      for (const b of doc.nodes) {
        if (a === b) continue;
        const apart = Math.abs(a.position.x - b.position.x) >= BOX.width || Math.abs(a.position.y - b.position.y) >= BOX.height;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
  });

  it('has a description and labels on every node', () => {
    expect(doc.description?.length).toBeGreaterThan(50);
    for (const n of doc.nodes) expect(n.label, n.id).toBeTruthy();
  });
});

describe('templates follow the papers and the reference workload', () => {
  it('SimSiam: one shared encoder → projector, a predictor, stop-gradient, negative cosine', () => {
    const doc = template('simsiam');
    expect(doc.nodes.map((n) => n.type).sort()).toEqual(['augment', 'dataset', 'encoder', 'loss', 'predictor', 'projector', 'stop-gradient']);
    expect(doc.nodes.find((n) => n.type === 'loss')!.params.objective).toBe('negative-cosine');
    expect(doc.training.optimizer).toEqual({ type: 'sgd', lr: 0.06, momentum: 0.9, nesterov: false, weightDecay: 5e-4 });
    expect(doc.training.batchSize).toBe(256);
  });

  it('BYOL: online and target networks tied by two ema links, τ_base 0.99, asymmetric views', () => {
    const doc = template('byol');
    const emas = doc.nodes.filter((n) => n.type === 'ema');
    expect(emas.map((n) => n.params)).toEqual([{ tauBase: 0.99, schedule: 'cosine' }, { tauBase: 0.99, schedule: 'cosine' }]);
    const targets = doc.edges.filter((e) => emas.some((n) => n.id === e.from.node)).map((e) => e.to.node).sort();
    expect(targets).toEqual(['enc_t', 'proj_t']);
    expect(doc.nodes.find((n) => n.type === 'loss')!.params.objective).toBe('normalized-l2');
    const [v1, v2] = doc.nodes.find((n) => n.type === 'augment')!.params.views as Array<Record<string, number>>;
    expect([v1.blurP, v2.blurP, v1.solarizeP, v2.solarizeP]).toEqual([1, 0.1, 0, 0.2]);
  });
});

describe('the collapse lab', () => {
  const expected: Record<string, string[]> = {
    'collapse-no-stop-gradient': ['collapse-no-stop-gradient'],
    'collapse-no-predictor': ['collapse-no-predictor'],
    'collapse-no-final-bn': [],
    'collapse-no-final-bn-no-stop-gradient': ['collapse-no-stop-gradient'],
    // negatives need neither stop-gradient nor predictor: m = 0 is valid, and warned about by nothing
    'collapse-moco-m0': [],
    'collapse-simclr-batch16': [], // a negatives loss: no collapse warning (issue 17)
    'collapse-barlow-no-redundancy': ['collapse-no-redundancy-reduction'],
    'collapse-vicreg-no-variance': ['collapse-no-variance'],
    'collapse-vicreg-no-covariance': [], // ν = 0 alone: the hinge still forbids the constant (issue 18)
  };

  it('has the templates of issues 7, 17 and 18, each valid, warning exactly about what it demonstrates', () => {
    expect(templateNames.filter((n) => n.startsWith('collapse-'))).toEqual(Object.keys(expected).sort());
    for (const [name, codes] of Object.entries(expected)) {
      const v = validate(template(name));
      expect(v.ok, name).toBe(true);
      expect(v.problems.map((p) => p.code), name).toEqual(codes);
    }
  });

  it('the no-final-BN pair differs only in the stop-gradient', () => {
    const [healthy, collapsing] = [template('collapse-no-final-bn'), template('collapse-no-final-bn-no-stop-gradient')];
    expect(healthy.nodes.find((n) => n.id === 'proj')!.params.lastBatchNorm).toBe('none');
    expect(collapsing.nodes.find((n) => n.id === 'proj')!.params.lastBatchNorm).toBe('none');
    expect(healthy.nodes.map((n) => n.id).filter((id) => !collapsing.nodes.some((m) => m.id === id))).toEqual(['sg']);
  });
});
