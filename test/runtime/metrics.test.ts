import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/nodes/nn/rng';
import { knnPredict, top1 } from '../../src/runtime/knn';
import { symmetricEigenvalues } from '../../src/runtime/eigen';
import { collapseStd, effectiveRank, effectiveRankFromEigenvalues, isCollapsed } from '../../src/runtime/metrics';
import { rotatedDiagonal } from '../helpers/matrices';
import { tfOn } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });

describe('effective rank (RankMe)', () => {
  it('finds the eigenvalues of a rotated diagonal matrix', () => {
    const lambda = [5, 3, 2, 1, 0.5, 0.25, 0, 0];
    const found = Array.from(symmetricEigenvalues(rotatedDiagonal(lambda, 1), 8)).sort((a, b) => b - a);
    found.forEach((x, i) => expect(x).toBeCloseTo(lambda[i], 9));
  });

  it('is d for equal eigenvalues, 1 for one direction, and exp(entropy) of √λ in between', () => {
    expect(effectiveRankFromEigenvalues([1, 1, 1, 1])).toBeCloseTo(4, 4);
    expect(effectiveRankFromEigenvalues([9, 0, 0, 0])).toBeCloseTo(1, 4);
    const s = [2, 1, 1];
    const p = s.map((x) => x / 4);
    expect(effectiveRankFromEigenvalues([4, 1, 1])).toBeCloseTo(Math.exp(-p.reduce((a, x) => a + x * Math.log(x), 0)), 4);
  });

  it('of a batch: isotropic Gaussian ≈ d, a batch spanning 3 directions ≈ at most 3', async () => {
    const rng = new Rng(2);
    const iso = tf.tensor2d(Float32Array.from({ length: 4096 * 16 }, () => rng.normal()), [4096, 16]);
    expect(await effectiveRank(iso)).toBeGreaterThan(15.5);
    const basis = tf.tensor2d(Float32Array.from({ length: 3 * 16 }, () => rng.normal()), [3, 16]);
    const coeff = tf.tensor2d(Float32Array.from({ length: 64 * 3 }, () => rng.normal()), [64, 3]);
    const low = await effectiveRank(tf.matMul(coeff, basis));
    expect(low).toBeGreaterThan(1.5);
    expect(low).toBeLessThanOrEqual(3.01);
    // fewer rows than dimensions: the Gram-matrix path
    expect(await effectiveRank(tf.slice(iso, [0, 0], [8, 16]))).toBeLessThanOrEqual(7.01);
  });
});

describe('collapse std', () => {
  it('≈ 1/√d for isotropic outputs and 0 for collapsed ones', async () => {
    const rng = new Rng(3);
    const d = 64;
    const healthy = tf.tensor2d(Float32Array.from({ length: 2048 * d }, () => rng.normal()), [2048, d]);
    expect((await collapseStd(healthy).data())[0]).toBeCloseTo(1 / Math.sqrt(d), 2);
    const collapsed = tf.tile(tf.tensor2d([Array.from({ length: d }, (_, i) => i + 1)]), [32, 1]);
    expect((await collapseStd(collapsed).data())[0]).toBeLessThan(1e-6);
  });

  it('one collapse rule: std < 0.1/√d or rank < d/10', () => {
    expect(isCollapsed(0.08, 40, 128)).toBe(false);
    expect(isCollapsed(0.006, 40, 128)).toBe(true);
    expect(isCollapsed(0.08, 10, 128)).toBe(true);
    expect(isCollapsed(0.08, undefined, 128)).toBe(false);
  });
});

describe('kNN (k = 200, temperature-weighted votes)', () => {
  it('agrees with a direct implementation on random data, in blocks', async () => {
    const rng = new Rng(4);
    const [n, q, d, classes, k, t] = [300, 50, 8, 5, 20, 0.1];
    const bank = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
    const queries = Array.from({ length: q }, () => Array.from({ length: d }, () => rng.normal()));
    const labels = Int32Array.from({ length: n }, () => rng.int(classes));
    const unit = (v: number[]) => { const s = Math.hypot(...v); return v.map((x) => x / s); };
    const want = queries.map((qv) => {
      const sims = bank.map((b, i) => [unit(qv).reduce((s, x, j) => s + x * unit(b)[j], 0), i]).sort((a, b) => b[0] - a[0]).slice(0, k);
      const votes = new Array(classes).fill(0);
      for (const [s, i] of sims) votes[labels[i]] += Math.exp(s / t);
      return votes.indexOf(Math.max(...votes));
    });
    const got = await knnPredict(tf.tensor2d(queries), tf.tensor2d(bank), labels, { k, temperature: t, classes, block: 16 });
    expect(Array.from(got)).toEqual(want);
    expect(top1(got, want)).toBe(1);
  });
});
