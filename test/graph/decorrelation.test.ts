/**
 * Validation of the decorrelation family (Barlow Twins, VICReg): no
 * stop-gradient or predictor asked for, a warning naming the term whose
 * absence lets it collapse, two views only, and losses of several families
 * in one graph.
 */
import { describe, expect, it } from 'vitest';
import type { GraphDoc } from '../../src/graph';
import { validate } from '../../src/nodes';
import { nodeIndex, paramsOf, template, wire } from '../helpers/docs';

const problemsOf = (doc: GraphDoc) => validate(doc).problems;

describe('the decorrelation family validates without asymmetry', () => {
  it.each(['barlow-twins', 'vicreg'])('%s: one encoder and projector on both views, no stop-gradient, no predictor, no problem', (name) => {
    const doc = template(name);
    const v = validate(doc);
    expect(v.problems).toEqual([]);
    expect(v.traits.get('loss')).toEqual({ loss: { output: 'loss' }, family: 'decorrelation' });
    expect(doc.nodes.some((n) => v.traits.get(n.id)!.stopsGradient || v.traits.get(n.id)!.predictor)).toBe(false);
  });
});

describe('a decorrelation loss without its safeguard warns, naming the term', () => {
  it('Barlow Twins with λ = 0: no redundancy reduction', () => {
    const doc = template('barlow-twins');
    paramsOf(doc, 'loss').lambda = 0;
    expect(problemsOf(doc)).toEqual([{
      severity: 'warning', code: 'collapse-no-redundancy-reduction', node: 'loss', param: 'lambda',
      path: `nodes[${nodeIndex(doc, 'loss')}].params.lambda`,
      message: 'λ = 0 drops the redundancy reduction term: every dimension may carry the same feature (C_ii = 1 still holds), likely to collapse dimensionally (Barlow Twins Eq. 1)',
    }]);
    paramsOf(doc, 'loss').lambda = 1e-4;
    expect(problemsOf(doc)).toEqual([]);
  });

  it('VICReg with μ = 0 and ν = 0 names both terms; μ = 0 alone the variance term; ν = 0 alone is allowed', () => {
    const doc = template('vicreg');
    const loss = paramsOf(doc, 'loss');
    const at = `nodes[${nodeIndex(doc, 'loss')}].params.mu`;
    Object.assign(loss, { mu: 0, nu: 0 });
    expect(problemsOf(doc)).toEqual([{
      severity: 'warning', code: 'collapse-no-variance', node: 'loss', param: 'mu', path: at,
      message: 'μ = 0 drops the variance term and the covariance term (ν = 0): nothing keeps the embeddings from shrinking to one point, where the other terms are 0 too: likely to collapse (VICReg, Bardes et al. 2022)',
    }]);
    Object.assign(loss, { mu: 0, nu: 1 });
    expect(problemsOf(doc).map((p) => [p.severity, p.code, p.param, p.message])).toEqual([[
      'warning', 'collapse-no-variance', 'mu',
      'μ = 0 drops the variance term: nothing keeps the embeddings from shrinking to one point, where the other terms are 0 too: likely to collapse (VICReg, Bardes et al. 2022)',
    ]]);
    Object.assign(loss, { mu: 25, nu: 0 });
    expect(problemsOf(doc)).toEqual([]);
  });

  it('the warnings come from params alone: an unwired loss still says it', () => {
    const doc = template('vicreg');
    doc.edges = doc.edges.filter((e) => e.to.node !== 'loss');
    paramsOf(doc, 'loss').mu = 0;
    expect(problemsOf(doc).map((p) => p.code).sort()).toEqual(['collapse-no-variance', 'no-trainable', 'unconnected-input']);
  });
});

describe('two views only', () => {
  const withViews = (name: string, count: number) => {
    const doc = template(name);
    const views = paramsOf(doc, 'aug').views as unknown[];
    paramsOf(doc, 'aug').views = Array.from({ length: count }, (_, i) => structuredClone(views[i % views.length]));
    return doc;
  };

  it.each([['barlow-twins', 'Barlow Twins'], ['vicreg', 'VICReg']])('%s refuses 3 views and 1 view, saying why', (name, method) => {
    const three = withViews(name, 3);
    expect(problemsOf(three)).toEqual([{
      severity: 'error', code: 'too-many-views', node: 'loss', port: 'embeddings', path: `nodes[${nodeIndex(three, 'loss')}]`,
      message: `${method} is defined for 2 views (the paper's two branches), got 3: give it 2 views, or one loss node per pair`,
    }]);
    expect(validate(three).ok).toBe(false);
    expect(problemsOf(withViews(name, 1)).map((p) => [p.code, p.message])).toEqual([
      ['too-few-views', `${method} compares two views' batch statistics: needs 2 views, got 1`],
    ]);
  });
});

describe('losses of different families in one graph', () => {
  it('SimSiam + Barlow Twins + VICReg on the same projector validate, three losses that add', () => {
    const doc = template('simsiam');
    doc.nodes.push(
      { id: 'bt', type: 'barlow-twins', label: 'Barlow Twins', params: { lambda: 5e-3, weight: 0.5 }, position: { x: 1500, y: 400 } },
      { id: 'vr', type: 'vicreg', label: 'VICReg', params: { lambda: 25, mu: 25, nu: 1, gamma: 1, eps: 1e-4, weight: 0.1 }, position: { x: 1500, y: 700 } },
    );
    wire(doc, 'e-bt', 'proj', 'output', 'bt', 'embeddings');
    wire(doc, 'e-vr', 'proj', 'output', 'vr', 'embeddings');
    const v = validate(doc);
    expect(v.problems).toEqual([]);
    expect([...v.traits].filter(([, t]) => t.loss).map(([id]) => id)).toEqual(['loss', 'bt', 'vr']);
    // the decorrelation losses train proj with no stop-gradient: they need none, SimSiam's side still has its own
    paramsOf(doc, 'bt').lambda = 0;
    expect(problemsOf(doc).map((p) => [p.code, p.node])).toEqual([['collapse-no-redundancy-reduction', 'bt']]);
  });
});
