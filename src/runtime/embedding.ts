/**
 * The embedding view's 2-D PCA (docs/semantics.md, "The embedding view"):
 * the probe set's rows (encoder features or projector output, N×d) centred,
 * projected on the top two principal directions — the top two eigenvectors
 * of the covariance, found by block power iteration with Rayleigh–Ritz (a
 * few products with the d×d matrix; the covariance is the one the effective
 * rank already computed, so a rank step does no second O(N·d²) pass).
 *
 * The spread: σ₂/σ₁, the ratio of the centred rows' second to first
 * singular value (= √(λ₂/λ₁)). Near 1 when the points fill the plane, near
 * 0 when they fold onto a line; scale-free, so a run that shrinks evenly is
 * not called folded. No tfjs: plain arrays in float64, in Node and the worker.
 */
import { symmetricEigenvectors } from './eigen';
import { covariance } from './metrics';

export interface Pca2 {
  /** N×2, row-major: each row's coordinates on the first and second principal direction. */
  points: Float32Array;
  /** σ₁, σ₂: singular values of the centred rows (√((N−1)·λ)). */
  singular: [number, number];
  /** σ₂/σ₁ (0 where σ₁ is 0). */
  spread: number;
}

/** Block size of the power iteration: more than 2, so the top two converge at the rate of λ₅/λ₂, not λ₃/λ₂. */
const BLOCK = 6;
const MAX_ITERATIONS = 150;

/**
 * The top two principal components of the rows of x (rows×cols, row-major).
 * `cov` may be covariance(x, rows, cols), already computed by the caller.
 */
export function pca2(x: ArrayLike<number>, rows: number, cols: number, cov = covariance(x, rows, cols)): Pca2 {
  const { matrix, n } = cov;
  const { values, vectors } = topEigenvectors(matrix, n, Math.min(2, n));
  const lambda = [values[0] ?? 0, values[1] ?? 0].map((l) => Math.max(l, 0));
  const singular = lambda.map((l) => Math.sqrt(l * Math.max(rows - 1, 1))) as [number, number];
  const points = new Float32Array(rows * 2);
  if (n === cols) {
    // Covariance: the scores are the centred rows times each direction.
    const mean = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += x[i * cols + j];
    for (let j = 0; j < cols; j++) mean[j] /= rows;
    for (let c = 0; c < vectors.length; c++) {
      const v = vectors[c];
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += (x[i * cols + j] - mean[j]) * v[j];
        points[i * 2 + c] = s;
      }
    }
  } else {
    // Gram matrix (rows < cols): its unit eigenvector u gives the scores σ·u.
    for (let c = 0; c < vectors.length; c++) for (let i = 0; i < rows; i++) points[i * 2 + c] = singular[c] * vectors[c][i];
  }
  return { points, singular, spread: singular[0] > 0 ? singular[1] / singular[0] : 0 };
}

/**
 * The k largest eigenpairs of a symmetric positive semi-definite n×n matrix:
 * Q ← orth(A·Q) on a block of BLOCK vectors, then the block's own
 * eigenvectors (Rayleigh–Ritz), until the top k Ritz values stop moving.
 * Each vector's sign is fixed (its largest entry positive) so the plot does
 * not flip between steps.
 */
export function topEigenvectors(a: Float64Array, n: number, k: number): { values: number[]; vectors: Float64Array[] } {
  const b = Math.min(BLOCK, n);
  // A fixed start (no randomness): a deterministic basis mixed so no direction is missed by symmetry.
  let q: Float64Array[] = Array.from({ length: b }, (_, c) => Float64Array.from({ length: n }, (_, i) => Math.sin(1 + i * (c + 1) * 0.7071) + (i % b === c ? 1 : 0)));
  orthonormalize(q);
  let ritz: ReturnType<typeof rayleighRitz> = { values: [], vectors: [], residuals: [] };
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const aq = q.map((v) => multiply(a, n, v));
    ritz = rayleighRitz(q, aq);
    // Converged when ‖A·v − λ·v‖ ≤ 1e-10·λ₁ for each of the top k: a vector's error is its residual over the eigengap.
    if (ritz.residuals.slice(0, k).every((r) => r <= 1e-10 * Math.max(ritz.values[0], 1e-300))) break;
    q = aq;
    orthonormalize(q);
  }
  const vectors = ritz.vectors.slice(0, k).map((v) => {
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
    return v[big] < 0 ? v.map((e) => -e) : v;
  });
  return { values: ritz.values.slice(0, k), vectors };
}

/** The Ritz pairs of the block q (orthonormal) with aq = A·q, largest first, and each one's residual ‖A·v − λ·v‖. */
function rayleighRitz(q: Float64Array[], aq: Float64Array[]): { values: number[]; vectors: Float64Array[]; residuals: number[] } {
  const b = q.length;
  const small = new Float64Array(b * b);
  for (let r = 0; r < b; r++) for (let c = r; c < b; c++) small[r * b + c] = small[c * b + r] = (dot(q[r], aq[c]) + dot(q[c], aq[r])) / 2;
  const { values, vectors } = symmetricEigenvectors(small, b);
  const order = [...values.keys()].sort((i, j) => values[j] - values[i]);
  const combine = (basis: Float64Array[], i: number) => {
    const v = new Float64Array(basis[0].length);
    for (let r = 0; r < b; r++) { const w = vectors[r * b + i]; for (let e = 0; e < v.length; e++) v[e] += w * basis[r][e]; }
    return v;
  };
  const ritzVectors = order.map((i) => combine(q, i));
  const residuals = order.map((i, o) => {
    const av = combine(aq, i);
    let s = 0;
    for (let e = 0; e < av.length; e++) s += (av[e] - values[i] * ritzVectors[o][e]) ** 2;
    return Math.sqrt(s);
  });
  return { values: order.map((i) => values[i]), vectors: ritzVectors, residuals };
}

function multiply(a: Float64Array, n: number, v: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += a[i * n + j] * v[j]; out[i] = s; }
  return out;
}

const dot = (u: Float64Array, v: Float64Array) => { let s = 0; for (let i = 0; i < u.length; i++) s += u[i] * v[i]; return s; };

/** Modified Gram–Schmidt, twice (one pass loses orthogonality on nearly dependent vectors); a vector that vanishes stays zero. */
function orthonormalize(q: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < q.length; c++) {
      for (let p = 0; p < c; p++) { const d = dot(q[p], q[c]); for (let i = 0; i < q[c].length; i++) q[c][i] -= d * q[p][i]; }
      const norm = Math.sqrt(dot(q[c], q[c]));
      if (norm > 1e-300) for (let i = 0; i < q[c].length; i++) q[c][i] /= norm;
      else q[c].fill(0);
    }
  }
}
