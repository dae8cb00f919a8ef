/**
 * Roles are the kinds' traits, read per node with its params, from whatever
 * catalog a validation is made with: the built-in one is never changed.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { catalog, catalogOf, nodeKinds, validate, type NodeKind } from '../../src/nodes';
import { dataSourceOf } from '../../src/nodes/data-source';
import { pickMonitors } from '../../src/runtime/monitor';
import { compile } from '../../src/runtime/program';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { nodeIndex, paramsOf, template } from '../helpers/docs';
import { syntheticDataset, tfOn, tiny } from '../helpers/runtime';

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

  it('a loss kind of another name, with another output port, trains and exports through its roles alone', async () => {
    await tfOn('cpu');
    // the built-in loss under a new type, its scalar on a port called "objective"
    const objective: NodeKind<any> = {
      ...lossKind,
      type: 'contrastive',
      outputs: [{ ...lossKind.outputs[0], key: 'objective' }],
      traits: { ...(lossKind.traits as object), loss: { output: 'objective' } },
      infer: (ctx) => ({ ...lossKind.infer(ctx), outputs: { objective: lossKind.infer(ctx).outputs.loss } }),
      build: (ctx) => {
        const inner = lossKind.build!(ctx);
        return { forward: (inputs, env) => ({ objective: inner.forward(inputs, env).loss }) };
      },
    };
    const kinds = catalogOf([...nodeKinds, objective]);
    const doc = tiny('simsiam');
    const renamed = { ...doc, nodes: doc.nodes.map((n) => (n.type === 'loss' ? { ...n, type: 'contrastive' } : n)) };
    const losses = async (d: typeof doc, c = catalog) => {
      const program = compile(d, { dataset: syntheticDataset(), batchSize: 8, steps: 2, catalog: c });
      program.init();
      try {
        return [(await program.step()).loss, (await program.step()).loss];
      } finally {
        program.dispose();
      }
    };
    expect(await losses(renamed, kinds)).toEqual(await losses(doc));
    expect(exportPytorch(renamed, kinds)).toContain('out["loss"] = 1 * siamese_loss(out["pred"], out["sg"], "negative-cosine")  # contrastive');
    expect(catalog.get('contrastive')).toBeUndefined();
  });
});
