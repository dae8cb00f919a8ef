/**
 * Finite-difference checks of every trainable node kind and both losses, on
 * tiny shapes, on the cpu backend, against tfjs's gradients.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, type PortShape } from '../../src/graph';
import { catalog } from '../../src/nodes';
import { sumRows } from '../../src/nodes/nn/layers';
import { siameseLoss } from '../../src/nodes/nn/losses';
import { Rng } from '../../src/nodes/nn/rng';
import { buildNode, tfOn, trainEnv } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });

const random = (shape: readonly number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), [...shape]);
};

/** Checks ∂L/∂θ for every parameter of a node whose output is projected onto a fixed random tensor. */
async function checkNode(type: string, params: unknown, input: number[], inShape: PortShape, eps = 1e-4, tolerance = 1e-2) {
  const kind = catalog.get(type)!;
  const node = buildNode(tf, kind, kind.params.parse(params), { input: inShape });
  const x = random(input, 11);
  const output = () => node.program.forward({ input: x }, trainEnv(tf)).output;
  await checkCoordinates(output, node.params.map((p) => p.variable), eps, tolerance);
  node.dispose();
  x.dispose();
}

/**
 * L = Σ f(θ)·r for a fixed random r. For each variable, the three coordinates
 * with the largest gradients (signal far above float32 rounding) are moved
 * by ±ε one at a time (so ReLU kinks are rarely crossed; the median over ε,
 * ε/2, ε/4 is taken), and
 * Σ (f(θ + εe_i) − f(θ − εe_i))·r / 2ε — differenced before summing, in
 * float64 — is compared with ∂L/∂θ_i.
 */
async function checkCoordinates(output: () => tfc.Tensor, vars: tfc.Variable[], eps = 1e-4, tolerance = 1e-2) {
  const probe = tf.tidy(output);
  const r = random(probe.shape, 12);
  probe.dispose();
  const rValues = await r.data();
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(output(), r)) as tfc.Scalar, vars);
  value.dispose();
  for (const v of vars) {
    const g = await grads[v.name].data();
    const top = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 3);
    const original = await v.data();
    const at = async (i: number, delta: number) => {
      const moved = Float32Array.from(original);
      moved[i] += delta;
      v.assign(tf.tensor(moved, v.shape));
      const out = tf.tidy(output);
      const values = await out.data();
      out.dispose();
      return values;
    };
    const central = async (i: number, h: number) => {
      const plus = await at(i, h);
      const minus = await at(i, -h);
      let sum = 0;
      for (let j = 0; j < plus.length; j++) sum += (plus[j] - minus[j]) * rValues[j];
      return sum / (2 * h);
    };
    for (const i of top) {
      // The median over three step sizes: robust to one of them crossing a kink.
      const estimates = [await central(i, eps), await central(i, eps / 2), await central(i, eps / 4)].sort((a, b) => a - b);
      const numeric = estimates[1];
      expect(Math.abs(numeric - g[i]), `${v.name}[${i}]: numeric ${numeric}, analytic ${g[i]}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(g[i])));
    }
    v.assign(tf.tensor(original, v.shape));
  }
  tf.dispose([r, ...Object.values(grads)]);
}

describe('finite differences', () => {
  it('encoder: conv blocks with BatchNorm (stride 1 and 2)', async () => {
    await checkNode('encoder', { arch: 'conv', widths: [3, 4], strides: [1, 2] }, [2, 3, 7, 7, 2], tensor(2, 3, 7, 7, 2));
  });

  // 17 ReLU layers put the finite differences' own noise near 2 % here (kinks): a 5 % bound.
  it('encoder: ResNet-18 at a small width', async () => {
    await checkNode('encoder', { arch: 'resnet18', widthMultiplier: 0.125, cifarStem: true }, [2, 3, 6, 6, 1], tensor(2, 3, 6, 6, 1), 1e-4, 5e-2);
  });

  it.each(['affine', 'non-affine', 'none'] as const)('projector MLP with hidden BN and last BN %s', async (lastBatchNorm) => {
    await checkNode('projector', { hiddenDim: 5, outputDim: 3, layers: 3, lastBatchNorm }, [2, 4, 6], tensor(2, 4, 6));
  });

  it('predictor MLP', async () => {
    await checkNode('predictor', { hiddenDim: 4, outputDim: 6 }, [3, 4, 6], tensor(3, 4, 6));
  });

  it.each(['negative-cosine', 'normalized-l2'] as const)('%s loss with respect to p and z', async (objective) => {
    const p = tf.variable(random([2, 3, 5], 21));
    const z = tf.variable(random([2, 3, 5], 22));
    await checkCoordinates(() => siameseLoss(tf, objective, p, z), [p, z], 1e-3);
    tf.dispose([p, z]);
  });
});

describe('sums over samples (BatchNorm backward)', () => {
  it.each([[2, 7, 3], [2, 3136, 5], [1, 1000, 4]])('sumRows of [%i, %i, %i] equals the float64 sum within 1e-6', async (g, n, c) => {
    const rng = new Rng(g * n + c);
    const values = Float32Array.from({ length: g * n * c }, () => Math.max(0, rng.normal() + 0.3));
    const exact = new Float64Array(g * c);
    for (let a = 0; a < g; a++) for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) exact[a * c + k] += values[(a * n + i) * c + k];
    const got = await sumRows(tf, tf.tensor3d(values, [g, n, c])).data();
    expect(got.length).toBe(g * c);
    got.forEach((v, i) => expect(Math.abs(v - exact[i]) / Math.abs(exact[i])).toBeLessThan(1e-6));
  });
});
