/**
 * One mutation per error kind, starting from a template that validates
 * clean: each asserts the exact code and where it points.
 */
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph, type GraphDoc, type Problem } from '../../src/graph';
import { validate } from '../../src/nodes';
import { bypass, nodeIndex, paramsOf, removeEdgesInto, template, wire } from '../helpers/docs';

const errors = (doc: GraphDoc) => validate(doc).problems.filter((p) => p.severity === 'error');
const only = (doc: GraphDoc): Problem => {
  const es = errors(doc);
  expect(es, JSON.stringify(es, null, 1)).toHaveLength(1);
  return es[0];
};

describe('the templates', () => {
  it.each(['simsiam', 'byol'] as const)('%s validates with no error and no warning', (name) => {
    const v = validate(template(name));
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
  });
});

describe('error kinds', () => {
  it('cycle: names the nodes on it', () => {
    const doc = template('simsiam');
    removeEdgesInto(doc, 'proj', 'input');
    wire(doc, 'back', 'pred', 'output', 'proj', 'input');
    const cycle = errors(doc).find((p) => p.code === 'cycle')!;
    expect(cycle).toMatchObject({ code: 'cycle', node: 'proj', path: `nodes[${nodeIndex(doc, 'proj')}]` });
    expect(new Set(cycle.nodes)).toEqual(new Set(['proj', 'pred']));
    expect(cycle.message).toBe('cycle: "proj" → "pred" → "proj"');
  });

  it('a self-loop is a cycle', () => {
    const doc = template('byol');
    removeEdgesInto(doc, 'enc_t', 'weights');
    wire(doc, 'self', 'enc_t', 'weights', 'enc_t', 'weights');
    expect(errors(doc).find((p) => p.code === 'cycle')).toMatchObject({ nodes: ['enc_t'] });
  });

  it('unconnected required input', () => {
    const doc = template('simsiam');
    removeEdgesInto(doc, 'enc', 'input');
    expect(only(doc)).toMatchObject({ code: 'unconnected-input', node: 'enc', port: 'input', path: `nodes[${nodeIndex(doc, 'enc')}]` });
  });

  it('wrong socket kind', () => {
    const doc = template('simsiam');
    removeEdgesInto(doc, 'enc', 'input');
    const e = wire(doc, 'bad', 'proj', 'output', 'enc', 'input');
    const p = errors(doc).find((x) => x.code === 'incompatible-kinds')!;
    expect(p).toMatchObject({ edge: e.id, node: 'enc', port: 'input', path: `edges[${doc.edges.length - 1}]` });
    expect(p.message).toMatch(/^features → images: incompatible kinds/);
  });

  it('shape mismatch between prediction and target', () => {
    const doc = template('simsiam');
    paramsOf(doc, 'pred').outputDim = 64;
    const p = only(doc);
    expect(p).toMatchObject({ code: 'shape-mismatch', node: 'loss', port: 'target' });
    expect(p.message).toBe('prediction is 2×B×64 but target is 2×B×128: they must match');
  });

  it('ema between modules of different architecture', () => {
    const doc = template('byol');
    paramsOf(doc, 'proj_t').hiddenDim = 1024;
    const p = only(doc);
    expect(p).toMatchObject({ code: 'ema-architecture', node: 'proj_t', port: 'weights', path: `nodes[${nodeIndex(doc, 'proj_t')}]` });
    expect(p.message).toContain('online is MLP 256→512→128, this is MLP 256→1024→128');
  });

  it('ema between modules of different kinds', () => {
    const doc = template('byol');
    removeEdgesInto(doc, 'ema_proj', 'online');
    wire(doc, 'wx', 'pred', 'weights', 'ema_proj', 'online');
    expect(only(doc)).toMatchObject({ code: 'ema-architecture', node: 'proj_t' });
  });

  it('ema target that also gets gradients', () => {
    const doc = template('byol');
    bypass(doc, 'sg');
    const es = errors(doc);
    expect(es.map((p) => [p.code, p.node])).toEqual([['ema-target-gradient', 'proj_t'], ['ema-target-gradient', 'enc_t']]);
    expect(es[0].message).toMatch(/^EMA target "proj_t" gets gradients from loss "loss"/);
  });

  it('duplicate node id', () => {
    const doc = template('simsiam');
    doc.nodes.push({ ...structuredClone(doc.nodes[nodeIndex(doc, 'sg')]) });
    expect(only(doc)).toMatchObject({ code: 'duplicate-id', node: 'sg', path: `nodes[${doc.nodes.length - 1}].id` });
  });

  it('duplicate edge id', () => {
    const doc = template('simsiam');
    doc.edges.push({ ...structuredClone(doc.edges[0]), id: doc.edges[1].id });
    expect(errors(doc).map((p) => p.code)).toContain('duplicate-edge-id');
  });

  it('edge to a missing node', () => {
    const doc = template('simsiam');
    doc.edges[0].to.node = 'ghost';
    const es = errors(doc);
    expect(es[0]).toMatchObject({ code: 'missing-node', node: 'ghost', edge: doc.edges[0].id, path: 'edges[0].to.node' });
    expect(es.map((p) => p.code)).toEqual(['missing-node', 'unconnected-input']);
  });

  it('edge to a port the node does not have, or the wrong way round', () => {
    const doc = template('simsiam');
    doc.edges[0].to.port = 'pixels';
    expect(errors(doc)[0]).toMatchObject({ code: 'unknown-port', node: 'aug', port: 'pixels', path: 'edges[0].to.port' });
    const doc2 = template('simsiam');
    doc2.edges[0].from.port = 'input';
    doc2.edges[0].from.node = 'aug';
    doc2.edges[0].to.node = 'enc';
    expect(errors(doc2).map((p) => p.code)).toContain('wrong-direction');
  });

  it('two wires into one input', () => {
    const doc = template('simsiam');
    wire(doc, 'extra', 'proj', 'output', 'loss', 'target');
    expect(only(doc)).toMatchObject({ code: 'multiple-inputs', edge: 'extra', node: 'loss', port: 'target' });
  });

  it('unknown node type', () => {
    const doc = template('simsiam');
    doc.nodes[nodeIndex(doc, 'sg')].type = 'stopgrad';
    const es = errors(doc);
    expect(es[0]).toMatchObject({ code: 'unknown-type', node: 'sg', path: `nodes[${nodeIndex(doc, 'sg')}].type` });
    expect(es[0].message).toContain('unknown node type "stopgrad"');
  });

  it('out-of-range param: the message names the path, the range and the value', () => {
    const doc = template('byol');
    paramsOf(doc, 'ema_enc').tauBase = 1.5;
    const i = nodeIndex(doc, 'ema_enc');
    expect(only(doc)).toEqual({
      severity: 'error', code: 'param-out-of-range', node: 'ema_enc', param: 'tauBase',
      path: `nodes[${i}].params.tauBase`, message: 'must be between 0 and 1, got 1.5',
    });
  });

  it('out-of-range param inside a per-view setting', () => {
    const doc = template('simsiam');
    (paramsOf(doc, 'aug').views as Array<Record<string, unknown>>)[1].flipP = -0.5;
    expect(only(doc)).toMatchObject({ code: 'param-out-of-range', param: 'views', path: `nodes[${nodeIndex(doc, 'aug')}].params.views[1].flipP` });
  });

  it('invalid param: wrong type, unknown key, bad enum', () => {
    const doc = template('simsiam');
    paramsOf(doc, 'loss').objective = 'cosine';
    paramsOf(doc, 'enc').depth = 3;
    const es = errors(doc);
    expect(es.map((p) => [p.code, p.path])).toEqual([
      ['param-invalid', `nodes[${nodeIndex(doc, 'enc')}].params`],
      ['param-invalid', `nodes[${nodeIndex(doc, 'loss')}].params.objective`],
    ]);
    expect(es[0].message).toBe('unknown key "depth"');
    expect(es[1].message).toBe('must be one of "negative-cosine", "normalized-l2", got "cosine"');
  });

  it('widths and strides of different lengths', () => {
    const doc = template('simsiam');
    paramsOf(doc, 'enc').strides = [1, 2];
    expect(only(doc)).toMatchObject({ code: 'param-invalid', path: `nodes[${nodeIndex(doc, 'enc')}].params.strides`, message: 'must have one stride per width' });
  });

  it('a loss on a single view', () => {
    const doc = template('simsiam');
    (paramsOf(doc, 'aug').views as unknown[]).pop();
    expect(only(doc)).toMatchObject({ code: 'too-few-views', node: 'loss', port: 'prediction' });
  });

  it('no loss', () => {
    const doc = template('simsiam');
    doc.nodes = doc.nodes.filter((n) => n.id !== 'loss');
    doc.edges = doc.edges.filter((e) => e.to.node !== 'loss');
    expect(only(doc)).toMatchObject({ code: 'no-loss', path: 'nodes' });
  });

  it('no trainable parameter reaching the loss', () => {
    const doc = template('simsiam');
    removeEdgesInto(doc, 'pred', 'input');
    wire(doc, 'x', 'sg', 'output', 'pred', 'input');
    removeEdgesInto(doc, 'loss', 'prediction');
    removeEdgesInto(doc, 'loss', 'target');
    wire(doc, 'p', 'sg', 'output', 'loss', 'prediction');
    wire(doc, 't', 'sg', 'output', 'loss', 'target');
    expect(errors(doc).map((p) => p.code)).toEqual(['no-trainable']);
  });

  it('newer version: refused by the parser with a clear message', () => {
    const r = parseGraph(serializeGraph(template('simsiam')).replace('"version": 2', '"version": 3'));
    expect(r).toEqual({
      ok: false,
      errors: [{
        severity: 'error', code: 'newer-version', path: 'version',
        message: 'this document is format version 3, newer than this Siamese Studio understands (2); update Siamese Studio to open it',
      }],
    });
  });
});
