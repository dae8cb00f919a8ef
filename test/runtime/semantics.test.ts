/** The semantics of docs/semantics.md, checked on small graphs on the cpu backend. */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphDoc } from '../../src/graph';
import { siameseLoss } from '../../src/nodes/nn/losses';
import { Rng } from '../../src/nodes/nn/rng';
import { compile } from '../../src/runtime/program';
import { bypass, nodeIndex, wire } from '../helpers/docs';
import { syntheticDataset, tfOn, tiny } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });
const data = syntheticDataset();

/** SimSiam whose target side is a second encoder → projector reached only through the stop-gradient. */
function separateTargetBranch(): GraphDoc {
  const doc = tiny('simsiam');
  for (const id of ['enc', 'proj']) doc.nodes.push({ ...structuredClone(doc.nodes[nodeIndex(doc, id)]), id: `${id}2`, position: { x: 0, y: 900 } });
  doc.edges = doc.edges.filter((e) => !(e.to.node === 'sg'));
  wire(doc, 'b1', 'aug', 'views', 'enc2', 'input');
  wire(doc, 'b2', 'enc2', 'output', 'proj2', 'input');
  wire(doc, 'b3', 'proj2', 'output', 'sg', 'input');
  return doc;
}

async function gradients(doc: GraphDoc) {
  const program = compile(doc, { dataset: data, batchSize: 8, steps: 5 });
  program.init(1);
  const batch = program.nextBatch();
  const pass = program.backward(batch, new Rng(2));
  const out: Record<string, Float32Array> = {};
  for (const [key, g] of Object.entries(pass.grads)) out[key] = (await g.data()) as Float32Array;
  tf.dispose([batch, pass.loss, pass.z, pass.features, ...Object.values(pass.grads), ...pass.pending.map(([, v]) => v)]);
  program.dispose();
  return out;
}

const maxAbs = (a: Float32Array | undefined) => (a ? Math.max(...Array.from(a, Math.abs)) : 0);

describe('stop-gradient', () => {
  it('no gradient reaches variables upstream only through it; without it they get one', async () => {
    const withSg = await gradients(separateTargetBranch());
    const branch = (g: Record<string, Float32Array>) => Object.keys(g).filter((k) => /^(enc2|proj2)\./.test(k));
    expect(branch(withSg).map((k) => maxAbs(withSg[k]))).toEqual(branch(withSg).map(() => 0));
    expect(maxAbs(withSg['enc.blocks.0.conv.weight'])).toBeGreaterThan(0);

    const doc = separateTargetBranch();
    bypass(doc, 'sg');
    const without = await gradients(doc);
    const keys = branch(without);
    expect(keys.length).toBeGreaterThan(8);
    for (const k of keys.filter((k) => k.endsWith('weight'))) expect(maxAbs(without[k]), k).toBeGreaterThan(1e-6);
  });
});

describe('EMA targets', () => {
  it('after k steps the target equals the closed form from the recorded online weights and τ schedule', async () => {
    const steps = 4;
    const program = compile(tiny('byol'), { dataset: data, batchSize: 8, steps });
    program.init(3);
    const snapshot = async (prefix: string) => {
      const out = new Map<string, Float64Array>();
      for (const [key, v] of program.variables()) if (key.startsWith(prefix) && !key.includes('running_')) out.set(key.slice(prefix.length), Float64Array.from(await v.data()));
      return out;
    };
    let target = await snapshot('enc.');
    expect([...(await snapshot('enc_t.'))].map(([k, v]) => [k, Array.from(v)])).toEqual([...target].map(([k, v]) => [k, Array.from(v)]));
    for (let k = 0; k < steps; k++) {
      const m = await program.step();
      const tau = 1 - (1 - 0.99) * (Math.cos((Math.PI * k) / steps) + 1) / 2;
      expect(m.tau).toBeCloseTo(tau, 12);
      const online = await snapshot('enc.');
      target = new Map([...target].map(([key, xi]) => [key, xi.map((x, i) => tau * x + (1 - tau) * online.get(key)![i])]));
    }
    const actual = await snapshot('enc_t.');
    let worst = 0;
    for (const [key, xi] of target) worst = Math.max(worst, ...Array.from(xi, (x, i) => Math.abs(x - actual.get(key)![i])));
    expect(worst).toBeLessThan(1e-6);
    const moved = [...(await snapshot('enc.'))].some(([key, v]) => v.some((x, i) => Math.abs(x - actual.get(key)![i]) > 1e-6));
    expect(moved).toBe(true);
    program.dispose();
  });
});

describe('losses', () => {
  it('symmetric negative cosine on a hand-computed two-view example', async () => {
    // p1 = (1, 0), p2 = (0, 2), z1 = (1, 1), z2 = (3, −3): cos(p1, z2) = 1/√2, cos(p2, z1) = 1/√2.
    const p = tf.tensor3d([[[1, 0]], [[0, 2]]]);
    const z = tf.tensor3d([[[1, 1]], [[3, -3]]]);
    const negcos = (await siameseLoss(tf, 'negative-cosine', p, z).data())[0];
    expect(negcos).toBeCloseTo(-0.5 * (1 / Math.SQRT2 + 1 / Math.SQRT2), 6);
    const l2 = (await siameseLoss(tf, 'normalized-l2', p, z).data())[0];
    expect(l2).toBeCloseTo(2 - 2 / Math.SQRT2, 6);
    tf.dispose([p, z]);
  });

  it('over three views it is the mean over the six ordered pairs i ≠ j', async () => {
    const rng = new Rng(4);
    const vals = (n: number) => Array.from({ length: n }, () => rng.normal());
    const p = tf.tensor3d(vals(3 * 2 * 4), [3, 2, 4]);
    const z = tf.tensor3d(vals(3 * 2 * 4), [3, 2, 4]);
    const [pv, zv] = [await p.array(), await z.array()];
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
    let total = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) total += (cos(pv[i][0], zv[j][0]) + cos(pv[i][1], zv[j][1])) / 2;
    expect((await siameseLoss(tf, 'negative-cosine', p, z).data())[0]).toBeCloseTo(-total / 6, 5);
    tf.dispose([p, z]);
  });

  it('several loss nodes add up, each times its weight', async () => {
    const doc = tiny('simsiam');
    doc.nodes.push({ id: 'loss2', type: 'loss', label: 'l2', params: { objective: 'normalized-l2', weight: 0.5 }, position: { x: 1800, y: 400 } });
    wire(doc, 'x1', 'pred', 'output', 'loss2', 'prediction');
    wire(doc, 'x2', 'sg', 'output', 'loss2', 'target');
    const losses: number[] = [];
    for (const d of [tiny('simsiam'), doc]) {
      const program = compile(d, { dataset: data, batchSize: 8, steps: 5 });
      program.init(1);
      losses.push((await program.step()).loss);
      program.dispose();
    }
    // negative cosine L1 = −c; 0.5 × normalized-l2 = 0.5 × (2 − 2c) = 1 + L1: the total is 2·L1 + 1.
    expect(losses[1]).toBeCloseTo(2 * losses[0] + 1, 5);
  });
});

describe('learning rates', () => {
  it("SimSiam's fixed predictor lr: the predictor steps with the base lr while the rest warms up", async () => {
    const firstUpdate = async (fixed: boolean) => {
      const doc = tiny('simsiam');
      doc.training.schedule = { warmupSteps: 10, decay: 'cosine', predictorFixedLr: fixed };
      doc.training.optimizer = { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0 };
      const program = compile(doc, { dataset: data, batchSize: 8, steps: 20 });
      program.init(1);
      const read = async (key: string) => Float64Array.from(await program.variables().get(key)!.data());
      const keys = ['pred.layers.0.linear.weight', 'enc.blocks.0.conv.weight'];
      const before = await Promise.all(keys.map(read));
      await program.step();
      const after = await Promise.all(keys.map(read));
      program.dispose();
      return after.map((a, i) => Math.hypot(...a.map((x, j) => x - before[i][j])));
    };
    const [fixed, scheduled] = [await firstUpdate(true), await firstUpdate(false)];
    expect(fixed[0] / scheduled[0]).toBeCloseTo(10, 3); // base lr vs base/10 in the first warmup step
    expect(fixed[1] / scheduled[1]).toBeCloseTo(1, 6);
  });
});
