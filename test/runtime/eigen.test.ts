/**
 * The symmetric eigen-solver (src/runtime/eigen.ts) against closed forms,
 * and, on random and degenerate matrices, against its own definition:
 * A·v = λ·v and VᵀV = I. Its bound: Householder reduction and QL are
 * backward stable, so each λ is exact for some A + E with ‖E‖₂ ≤ c·n·ε·‖A‖₂
 * (Weyl: λ moves by at most ‖E‖₂); c = 8 here, ‖A‖_F ≥ ‖A‖₂ in its place.
 * torch's eigvalsh is the independent check (test/pytorch/eigen.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/nodes/nn/rng';
import { symmetricEigenvalues, symmetricEigenvectors } from '../../src/runtime/eigen';
import { covariance } from '../../src/runtime/metrics';
import { eigenvalueBound, rotatedDiagonal, testMatrices } from '../helpers/matrices';

const EPS = 2 ** -52;
const ascending = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);
const bound = eigenvalueBound;

describe('symmetric eigenvalues', () => {
  it('match closed forms: 2×2, the path graph\'s Laplacian, a rotated spectrum with repeats and zeros, 0×0, 1×1, zeros', () => {
    const [a, b, c] = [3, -1.5, 0.25];
    const mid = (a + c) / 2;
    const radius = Math.hypot((a - c) / 2, b);
    expect(ascending(symmetricEigenvalues([a, b, b, c], 2))).toEqual([expect.closeTo(mid - radius, 14), expect.closeTo(mid + radius, 14)]);

    // tridiag(−1, 2, −1) of order n: 2 − 2·cos(kπ/(n+1)), k = 1…n.
    const n = 50;
    const laplacian = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      laplacian[i * n + i] = 2;
      if (i > 0) laplacian[i * n + i - 1] = laplacian[(i - 1) * n + i] = -1;
    }
    const want = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((x, y) => x - y);
    const got = ascending(symmetricEigenvalues(laplacian, n));
    got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThan(bound(laplacian, n)));

    const spectrum = [4, 4, 4, 1, 1e-3, 0, 0, -2];
    const rotated = rotatedDiagonal(spectrum, 5);
    ascending(symmetricEigenvalues(rotated, 8)).forEach((x, i) => expect(Math.abs(x - ascending(spectrum)[i])).toBeLessThan(bound(rotated, 8)));

    expect(Array.from(symmetricEigenvalues([], 0))).toEqual([]);
    expect(Array.from(symmetricEigenvalues([-7.5], 1))).toEqual([-7.5]);
    expect(Array.from(symmetricEigenvalues(new Float64Array(25), 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('with vectors: A·v = λ·v and VᵀV = I within the bound, on every test matrix and a 512×256 covariance', () => {
    const rng = new Rng(11);
    const rows = Float32Array.from({ length: 512 * 256 }, () => rng.normal());
    const big = covariance(rows, 512, 256);
    for (const { name, n, matrix } of [...testMatrices(), { name: 'covariance 512×256', n: 256, matrix: big.matrix }]) {
      const { values, vectors } = symmetricEigenvectors(matrix, n);
      let [residual, orthogonality] = [0, 0];
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < n; r++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += matrix[r * n + k] * vectors[k * n + i];
          residual = Math.max(residual, Math.abs(s - values[i] * vectors[r * n + i]));
        }
        for (let j = i; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += vectors[k * n + i] * vectors[k * n + j];
          orthogonality = Math.max(orthogonality, Math.abs(s - (i === j ? 1 : 0)));
        }
      }
      expect(residual, name).toBeLessThan(bound(matrix, n));
      expect(orthogonality, name).toBeLessThan(8 * n * EPS);
      // The values alone are the same computation without the rotations' bookkeeping.
      const alone = ascending(symmetricEigenvalues(matrix, n));
      ascending(values).forEach((v, i) => expect(Math.abs(alone[i] - v), name).toBeLessThan(bound(matrix, n)));
    }
  });

  it('leave the input as it was, and pass NaN through without hanging', () => {
    const m = rotatedDiagonal([3, 2, 1], 2);
    const copy = Float64Array.from(m);
    symmetricEigenvectors(m, 3);
    symmetricEigenvalues(m, 3);
    expect(m).toEqual(copy);
    m[4] = Number.NaN;
    expect(Array.from(symmetricEigenvalues(m, 3)).some(Number.isNaN)).toBe(true);
  });
});
