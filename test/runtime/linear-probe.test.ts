/**
 * The linear probe's protocol on features whose answer is known: separable
 * classes are all classified; its progress, its stop rules, its refusals,
 * and that it leaves no tensor behind.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearProbe, PROBE_PROTOCOL, standardization, type ProbeProgress } from '../../src/runtime/linear-probe';
import { Rng } from '../../src/nodes/nn/rng';
import { tfOn } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('wasm'); });

/** n points per class around fixed class centres (uniform in a cube of side `spread`), with unit Gaussian noise drawn from `noiseSeed`. */
function clusters(perClass: number, classes: number, d: number, spread: number, noiseSeed: number) {
  const at = new Rng(0);
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => at.uniform(-spread / 2, spread / 2)));
  const rng = new Rng(noiseSeed);
  const n = perClass * classes;
  const rows = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < d; j++) rows[i * d + j] = centres[labels[i]][j] + rng.normal() + 7; // an offset that standardization removes
  }
  return { features: tf.tensor2d(rows, [n, d]), labels, rows };
}

describe('the linear probe', () => {
  it('separable classes: 100 % top-1, stopped by the gradient rule, the objective decreasing at every reported iteration, no tensor left', async () => {
    const before = tf.memory().numTensors;
    const train = clusters(100, 4, 6, 40, 1);
    const test = clusters(50, 4, 6, 40, 2);
    const seen: ProbeProgress[] = [];
    const r = await linearProbe(train, test, 4, { onProgress: (p) => { seen.push(p); } });
    expect(r).toMatchObject({ top1: 1, stop: 'gradient', train: 400, test: 200 });
    expect(seen.map((p) => p.iteration)).toEqual(Array.from({ length: r.iterations }, (_, i) => i + 1));
    for (let i = 1; i < seen.length; i++) expect(seen[i].loss).toBeLessThan(seen[i - 1].loss);
    expect(seen.at(-1)!.gradient).toBeLessThanOrEqual(PROBE_PROTOCOL.gradientTolerance);
    expect(r.loss).toBe(seen.at(-1)!.loss);
    tf.dispose([train.features, test.features]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('overlapping classes: below 100 % but far above chance; the iteration cap stops it and says so', async () => {
    const train = clusters(200, 3, 4, 2, 3);
    const test = clusters(200, 3, 4, 2, 4);
    const full = await linearProbe(train, test, 3);
    expect(full.stop).toBe('gradient');
    expect(full.top1).toBeGreaterThan(0.5);
    expect(full.top1).toBeLessThan(1);
    const capped = await linearProbe(train, test, 3, { maxIterations: 2 });
    expect(capped).toMatchObject({ stop: 'iterations', iterations: 2 });
    expect(capped.loss).toBeGreaterThan(full.loss);
    tf.dispose([train.features, test.features]);
  }, 60_000);

  it('standardization: float64 mean and 1/√(σ² + ε) per dimension; a constant dimension gets 1/√ε', () => {
    const rows = Float32Array.from([1, 5, 3, 5, 5, 5]); // 3 rows × 2 dims
    const { mean, scale } = standardization(rows, 3, 2);
    expect(Array.from(mean)).toEqual([3, 5]);
    expect(scale[0]).toBeCloseTo(1 / Math.sqrt(8 / 3 + 1e-5), 12);
    expect(scale[1]).toBeCloseTo(1 / Math.sqrt(1e-5), 6);
  });

  it('refuses features of different widths, and empty splits, in one line', async () => {
    const a = tf.zeros([4, 3]) as tfc.Tensor2D;
    const b = tf.zeros([4, 2]) as tfc.Tensor2D;
    const e = tf.zeros([0, 3]) as tfc.Tensor2D;
    await expect(linearProbe({ features: a, labels: [0, 1, 0, 1] }, { features: b, labels: [0, 1, 0, 1] }, 2)).rejects.toThrow('linear probe: train features have 3 dimensions, test features 2');
    await expect(linearProbe({ features: a, labels: [0, 1, 0, 1] }, { features: e, labels: [] }, 2)).rejects.toThrow('linear probe: needs train and test features (got 4 and 0)');
    tf.dispose([a, b, e]);
  });
});
