/**
 * The eigen-solver (src/runtime/eigen.ts) against LAPACK through
 * torch.linalg.eigvalsh, in float64, on the test matrices and a covariance as
 * the effective rank computes it. Both are backward stable: each eigenvalue
 * is within c·n·ε·‖A‖₂ of the exact one (c = 4 each; ‖A‖_F in place of ‖A‖₂),
 * whatever the CPU's vector width does to LAPACK's rounding.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/nodes/nn/rng';
import { symmetricEigenvalues } from '../../src/runtime/eigen';
import { covariance } from '../../src/runtime/metrics';
import { eigenvalueBound, testMatrices } from '../helpers/matrices';
import { python } from '../helpers/python';

const EIGVALSH = String.raw`
import json, sys, torch
cases = json.load(sys.stdin)
print(json.dumps([torch.linalg.eigvalsh(torch.tensor(c['matrix'], dtype=torch.float64).reshape(c['n'], c['n'])).tolist() for c in cases]))
`;

describe('symmetric eigenvalues', () => {
  it('equal torch.linalg.eigvalsh\'s (float64) within 8·n·ε·‖A‖_F', async () => {
    const rng = new Rng(5);
    const features = covariance(Float32Array.from({ length: 512 * 256 }, () => rng.normal() * (1 + rng.uniform(0, 1))), 512, 256);
    const cases = [...testMatrices(), { name: 'covariance 512×256', n: 256, matrix: features.matrix }];
    const want = await python<number[][]>(EIGVALSH, cases.map(({ n, matrix }) => ({ n, matrix: Array.from(matrix) })));
    cases.forEach(({ name, n, matrix }, c) => {
      const got = Array.from(symmetricEigenvalues(matrix, n)).sort((a, b) => a - b);
      expect(got.length, name).toBe(want[c].length);
      const worst = Math.max(...got.map((x, i) => Math.abs(x - want[c][i])));
      expect(worst, name).toBeLessThanOrEqual(eigenvalueBound(matrix, n));
    });
  });
});
