/**
 * Roles are the kinds' traits, read per node with its params, from whatever
 * catalog a validation is made with: the built-in one is never changed.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { catalog, catalogOf, nodeKinds, validate, type NodeKind } from '../../src/nodes';
import { dataSourceOf } from '../../src/nodes/data-source';
import { pickMonitors } from '../../src/runtime/monitor';
import { nodeIndex, paramsOf, template } from '../helpers/docs';

const lossKind = catalog.get('loss')!;

/** A loss whose sides swap with a param: its lossSides depend on its params. */
const seen: unknown[] = [];
const swappable: NodeKind<{ objective: string; weight: number; swap: boolean }> = {
  ...lossKind,
  params: z.strictObject({ objective: z.enum(['negative-cosine', 'normalized-l2']).default('negative-cosine'), weight: z.number().default(1), swap: z.boolean().default(false) }),
  traits: (params) => {
    seen.push(params);
    return { loss: { output: 'loss' }, lossSides: params?.swap ? { prediction: 'target', target: 'prediction' } : { prediction: 'prediction', target: 'target' } };
  },
};
const withSwappable = catalogOf(nodeKinds.map((k) => (k.type === 'loss' ? swappable : k)));

describe('roles from node kinds', () => {
  it('traits may be a function of the params: the validator reads each node\'s sides from its own params', () => {
    const doc = template('simsiam');
    expect(validate(doc, withSwappable).problems).toEqual([]);
    paramsOf(doc, 'loss').swap = true;
    seen.length = 0;
    const v = validate(doc, withSwappable);
    expect(seen).toEqual([{ objective: 'negative-cosine', weight: 1, swap: true }]);
    const at = `nodes[${nodeIndex(doc, 'loss')}]`;
    expect(v.problems).toEqual([
      { severity: 'warning', code: 'collapse-no-stop-gradient', path: at, node: 'loss', port: 'prediction', message: 'the target side of loss "loss" trains "pred" with neither stop-gradient nor EMA: likely to collapse (SimSiam §4)' },
      { severity: 'warning', code: 'collapse-no-predictor', path: at, node: 'loss', port: 'target', message: 'no predictor before the prediction side of loss "loss": likely to collapse (SimSiam §4)' },
    ]);
    expect(v.traits.get('loss')!.lossSides).toEqual({ prediction: 'target', target: 'prediction' });
    // params that fail their schema: the function is told so (undefined), and the node is still a loss
    paramsOf(doc, 'loss').swap = 'yes';
    seen.length = 0;
    expect(validate(doc, withSwappable).problems.map((p) => p.code)).toEqual(['param-invalid']);
    expect(seen).toEqual([undefined]);
    // the built-in catalog never saw any of it
    expect(catalog.get('loss')).toBe(lossKind);
    expect(validate(template('simsiam')).problems).toEqual([]);
  });

  it('the monitors follow the roles, not the type names: an encoder kind of another name, a graph without an embedding role', () => {
    const backbone = { ...catalog.get('encoder')!, type: 'backbone' };
    const renamed = catalogOf([...nodeKinds, backbone]);
    const doc = template('byol');
    for (const n of doc.nodes) if (n.type === 'encoder') n.type = 'backbone';
    const v = validate(doc, renamed);
    expect(v.ok).toBe(true);
    expect(pickMonitors(v)).toEqual({ embedding: { node: 'proj', port: 'output' }, encoder: { node: 'enc', input: 'input', output: 'output' }, dim: 128 });
    // no kind says "embedding": the last trainable module's output is watched (the predictor's here)
    const noEmbedding = catalogOf(nodeKinds.map((k) => (k.type === 'projector' ? { ...k, traits: { module: { input: 'input', output: 'output' } } } : k)));
    expect(pickMonitors(validate(template('simsiam'), noEmbedding)).embedding).toEqual({ node: 'pred', port: 'output' });
  });

  it('a dataset\'s params are read once, after their schema: defaults filled in, invalid ones said so', () => {
    const doc = template('simsiam');
    expect(dataSourceOf(doc)).toEqual({ node: 'data', source: { source: 'fashion-mnist' } });
    doc.nodes[nodeIndex(doc, 'data')].params = { source: 'image-folder' };
    expect(dataSourceOf(doc)).toEqual({ node: 'data', source: { source: 'image-folder', size: 32, channels: 3 } });
    doc.nodes[nodeIndex(doc, 'data')].params = { source: 'mnist' };
    expect(dataSourceOf(doc)).toEqual({ node: 'data', source: undefined });
    expect(dataSourceOf({ ...doc, nodes: doc.nodes.filter((n) => n.id !== 'data') })).toBeUndefined();
  });
});
