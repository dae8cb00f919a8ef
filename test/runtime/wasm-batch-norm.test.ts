/**
 * The wasm backend's fused training-mode BatchNorm (src/runtime/kernels/
 * wasm-batch-norm.ts, c/batch_norm_*.c), with and without the ReLU fused
 * after it, against the composite it replaces (src/nodes/nn/layers.ts, then
 * tf.relu): the output, the batch statistics and the three
 * gradients bit-identical to the composite on wasm (the PyTorch-parity runs
 * are sensitive to one ulp), and within float32 rounding of the composite on
 * cpu, whose gradient the finite-difference tests check; on random shapes
 * covering sumRows's one- and two-level sums, runs of 48 and the channel
 * remainders of the SIMD loops.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { BN_EPS, trainBatchNorm } from '../../src/nodes/nn/layers';
import { loadTfNode } from '../../src/runtime/tf/node';

let tf: typeof tfc;
beforeAll(async () => { tf = await loadTfNode(); });

/** Deterministic test values: a sine of the index, shifted by the seed, times `scale`, plus `offset`. */
const wave = (len: number, seed: number, scale = 2, offset = 0) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * scale + offset);

interface Case { v: number; n: number; c: number; seed: number; offset: number; relu: boolean }

/** y, mean, variance, dx, dγ, dβ of one BatchNorm (and ReLU, where relu) on `backend`, fused or composite. */
async function run(backend: string, fused: boolean, { v, n, c, seed, offset, relu }: Case) {
  await tf.setBackend(backend);
  const x = tf.tensor3d(wave(v * n * c, seed, 3, offset), [v, n, c]);
  const gamma = tf.tensor1d(wave(c, seed + 1, 1, 1));
  const beta = tf.tensor1d(wave(c, seed + 2));
  const r = tf.tensor3d(wave(v * n * c, seed + 3), [v, n, c]);
  const stats: tfc.Tensor[] = [];
  const keep = (mean: tfc.Tensor, variance: tfc.Tensor) => { stats.push(tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance))); };
  const y = tf.tidy(() => trainBatchNorm(tf, x, gamma, beta, keep, { fused, relu }));
  const grads = tf.grads((a: tfc.Tensor, g: tfc.Tensor, b: tfc.Tensor) => tf.sum(tf.mul(trainBatchNorm(tf, a, g, b, () => {}, { fused, relu }), r)))([x, gamma, beta]);
  const outs = [y, ...stats, ...grads];
  const values = await Promise.all(outs.map(async (t) => ({ shape: t.shape, data: Array.from(await t.data()) })));
  tf.dispose([x, gamma, beta, r, ...outs]);
  return values;
}

const names = ['y', 'mean', 'variance', 'dx', 'dγ', 'dβ'];

/** The largest |x|/√(var + ε) over a case's views and channels (in float64): how much BatchNorm's centering magnifies the rounding of x. */
function centeringCondition({ v, n, c, seed, offset }: Case): number {
  const x = wave(v * n * c, seed, 3, offset);
  let worst = 0;
  for (let view = 0; view < v; view++) {
    for (let ch = 0; ch < c; ch++) {
      const column = Array.from({ length: n }, (_, row) => x[(view * n + row) * c + ch]);
      const mean = column.reduce((a, b) => a + b, 0) / n;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      worst = Math.max(worst, Math.max(...column.map(Math.abs)) / Math.sqrt(variance + BN_EPS));
    }
  }
  return worst;
}

/** The first element that differs in bits (−0 ≠ 0), as a message; undefined when none (expect's diff of a large array takes minutes). */
const firstDifference = (got: number[], want: number[]) => {
  const j = want.findIndex((w, k) => !Object.is(got[k], w));
  return j < 0 ? undefined : `[${j}] ${got[j]} vs ${want[j]}`;
};

describe('wasm fused BatchNorm', () => {
  const shapes = fc.record({
    v: fc.integer({ min: 1, max: 3 }),
    // n ≤ 256: one product; past it, blocks of ~√n (and n with no divisor ≥ 8: one product again).
    n: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(257, 289, 307, 512, 784, 1000, 2304)),
    c: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(32, 61, 64, 67, 130)),
    seed: fc.integer({ min: 0, max: 1e6 }),
    offset: fc.constantFrom(0, 5, -40),
    relu: fc.boolean(),
  });

  it('bit-identical to the composite on wasm: output, batch statistics and gradients', async () => {
    await fc.assert(fc.asyncProperty(shapes, async (c) => {
      const want = await run('wasm', false, c);
      const got = await run('wasm', true, c);
      for (let i = 0; i < want.length; i++) {
        expect(got[i].shape, names[i]).toEqual(want[i].shape);
        expect(firstDifference(got[i].data, want[i].data), `${names[i]} of ${JSON.stringify(c)}`).toBeUndefined();
      }
    }), { numRuns: 60 });
  });

  it('bit-identical on the reference encoder\'s first BatchNorm at batch 8, 2 × 12 544 × 32 (blocks of 112, runs of 48 at both levels)', async () => {
    const c = { v: 2, n: 12544, c: 32, seed: 7, offset: 0.5, relu: true };
    const want = await run('wasm', false, c);
    const got = await run('wasm', true, c);
    for (let i = 0; i < want.length; i++) expect(firstDifference(got[i].data, want[i].data), names[i]).toBeUndefined();
  });

  it('matches the composite on cpu within float32 rounding', async () => {
    // Without the ReLU: where y lies within rounding of 0, the two backends' ReLU gradients may differ by the whole of dy.
    await fc.assert(fc.asyncProperty(shapes.map((c) => ({ ...c, relu: false })), async (c) => {
      const want = await run('cpu', false, c);
      const got = await run('wasm', true, c);
      // Sums of ≤ 3·2304 terms in float32, blocked (≈ √n terms per partial): well under 1e-4 of the largest magnitude;
      // plus centering: x − mean carries the mean's rounding, ≈ 2ε·|x| per backend, which x̂ = (x − mean)/σ magnifies by
      // κ = |x|/σ (483 where offset −40 meets 3 samples ≈ 0.09 apart); dx uses x̂ twice and the two backends round apart: 16ε·κ.
      const tolerance = 1e-4 + 16 * 2 ** -24 * centeringCondition(c);
      for (let i = 0; i < want.length; i++) {
        const scale = want[i].data.reduce((m, w) => Math.max(m, Math.abs(w)), 1);
        const worst = got[i].data.reduce((m, g, j) => Math.max(m, Math.abs(g - want[i].data[j])), 0);
        expect(worst / scale, `${names[i]} of ${JSON.stringify(c)} (tolerance ${tolerance.toExponential(2)})`).toBeLessThan(tolerance);
      }
    }), { numRuns: 30 });
  });

  it('runs fused on wasm only, and leaves no tensors or buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
    const profile = await tf.profile(() => {
      const inputs = [tf.tensor3d(wave(2 * 300 * 20, 1), [2, 300, 20]), tf.ones([20]), tf.zeros([20])];
      const grads = tf.grads((a: tfc.Tensor, g: tfc.Tensor, b: tfc.Tensor) => tf.sum(trainBatchNorm(tf, a, g, b, () => {}, { relu: true })))(inputs);
      tf.dispose([...inputs, ...grads]);
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain('SiameseBatchNormTrain');
    expect(kernels).toContain('SiameseBatchNormTrainGrad');
    expect(kernels).not.toContain('Sub');
    expect(kernels).not.toContain('Relu');
    expect(kernels).not.toContain('Step');
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});
