/** Symmetric test matrices for the eigen-solver's tests: random, graded, degenerate, and what the rank sees. */
import { Rng } from '../../src/nodes/nn/rng';
import { covariance } from '../../src/runtime/metrics';

/** Q·diag(λ)·Qᵀ, row-major, with Q a product of three random Householder reflections. */
export function rotatedDiagonal(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const rng = new Rng(seed);
  let m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? lambda[i] : 0)));
  for (let r = 0; r < 3; r++) {
    const v = Array.from({ length: n }, () => rng.normal());
    const norm2 = v.reduce((s, x) => s + x * x, 0);
    const h = v.map((vi, i) => v.map((vj, j) => (i === j ? 1 : 0) - (2 * vi * vj) / norm2));
    const mul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
    m = mul(mul(h, m), h);
  }
  return Float64Array.from(m.flat());
}

/** How far a backward-stable solver's eigenvalue may be from the exact one: 8·n·ε·‖A‖_F (Weyl, with ‖A‖_F ≥ ‖A‖₂). */
export function eigenvalueBound(matrix: ArrayLike<number>, n: number): number {
  const frobenius = Math.sqrt(Array.from(matrix).reduce((s, x) => s + x * x, 0));
  return 8 * n * 2 ** -52 * Math.max(frobenius, Number.MIN_VALUE);
}

export interface TestMatrix { name: string; n: number; matrix: Float64Array }

export function testMatrices(): TestMatrix[] {
  const rng = new Rng(7);
  const symmetric = (n: number) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = rng.normal();
    return m;
  };
  // A collapsed embedding: 256 rows in 3 directions of 64 dimensions, plus float32-sized noise.
  const basis = Array.from({ length: 3 * 64 }, () => rng.normal());
  const collapsed = Float32Array.from({ length: 256 * 64 }, (_, i) => {
    const [r, c] = [Math.floor(i / 64), i % 64];
    return Math.sin(r) * basis[c] + Math.cos(3 * r) * basis[64 + c] + 0.1 * Math.sin(7 * r) * basis[128 + c] + 1e-6 * Math.sin(i);
  });
  // Wilkinson's W₂₁⁺: pairs of eigenvalues equal to about 15 digits.
  const wilkinson = new Float64Array(21 * 21);
  for (let i = 0; i < 21; i++) {
    wilkinson[i * 21 + i] = Math.abs(10 - i);
    if (i > 0) wilkinson[i * 21 + i - 1] = wilkinson[(i - 1) * 21 + i] = 1;
  }
  return [
    { name: 'random 1×1', n: 1, matrix: symmetric(1) },
    { name: 'random 2×2', n: 2, matrix: symmetric(2) },
    { name: 'random 17×17', n: 17, matrix: symmetric(17) },
    { name: 'random 64×64', n: 64, matrix: symmetric(64) },
    { name: 'graded 1e-10…1e5', n: 16, matrix: rotatedDiagonal(Array.from({ length: 16 }, (_, i) => 10 ** (i - 10)), 3) },
    { name: 'repeated eigenvalues', n: 12, matrix: rotatedDiagonal([2, 2, 2, 2, -1, -1, -1, 0, 0, 0, 0, 5], 4) },
    { name: 'identity', n: 9, matrix: Float64Array.from({ length: 81 }, (_, i) => (i % 10 === 0 ? 1 : 0)) },
    { name: 'diagonal', n: 6, matrix: Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 6 - i / 7 : 0)) },
    { name: 'Wilkinson W21+', n: 21, matrix: wilkinson },
    { name: 'collapsed covariance 256×64', n: 64, matrix: covariance(collapsed, 256, 64).matrix },
    { name: 'Gram matrix of 8 rows of 16', n: 8, matrix: covariance(Float32Array.from({ length: 8 * 16 }, () => rng.normal()), 8, 16).matrix },
  ];
}
