/**
 * Collapse metrics.
 *
 * - collapse std: "the standard deviation of the ℓ2-normalized output" per
 *   dimension, averaged; ≈ 1/√d when healthy, 0 when collapsed (Chen & He
 *   2020, §4.1, Fig. 2).
 * - effective rank (RankMe, Garrido et al. 2023): exp of the entropy of the
 *   normalized singular values of the centred batch; from the eigenvalues of
 *   the d×d covariance (σ_i ∝ √λ_i). A projector ending in BatchNorm keeps the
 *   std near 1/√d while its outputs fall into a few directions: the rank shows it.
 * - One rule (docs/semantics.md): collapsed when std < 0.1/√d or rank < d/10.
 */
import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from '../nodes/nn/layers';
import { symmetricEigenvalues } from './eigen';

/** Mean over dimensions of the (unbiased) std over the batch of l2-normalized rows of z [B, d]. */
export function collapseStd(z: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = l2Normalize(tf, z);
    const b = z.shape[0];
    const variance = tf.div(tf.sum(tf.square(tf.sub(n, tf.mean(n, 0, true))), 0), Math.max(b - 1, 1));
    return tf.mean(tf.sqrt(variance)) as tf.Scalar;
  });
}

/**
 * The covariance d×d (row-major) of the centred rows of z (B×d, row-major) —
 * or, when B < d, the B×B Gram matrix of the same rows, which has the same
 * non-zero eigenvalues. In float64: float32 sums would move each eigenvalue
 * by up to B·2⁻²⁴·trace, which swamps the small ones the rank counts.
 */
export function covariance(z: ArrayLike<number>, rows: number, cols: number): { matrix: Float64Array; n: number } {
  const centred = Float64Array.from(z);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += centred[i * cols + j];
    mean /= rows;
    for (let i = 0; i < rows; i++) centred[i * cols + j] -= mean;
  }
  const gram = rows < cols;
  const n = gram ? rows : cols;
  const [len, stride, step] = gram ? [cols, 1, cols] : [rows, cols, 1]; // entry (a, b) sums over the other axis
  const matrix = new Float64Array(n * n);
  const scale = 1 / Math.max(rows - 1, 1);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let sum = 0;
      for (let k = 0; k < len; k++) sum += centred[a * step + k * stride] * centred[b * step + k * stride];
      matrix[a * n + b] = matrix[b * n + a] = sum * scale;
    }
  }
  return { matrix, n };
}

/** RankMe from the eigenvalues of a covariance matrix. */
export function effectiveRankFromEigenvalues(eigenvalues: ArrayLike<number>): number {
  const sigma = Array.from(eigenvalues, (l) => Math.sqrt(Math.max(l, 0)));
  const total = sigma.reduce((a, b) => a + b, 0);
  if (total <= 0) return 1;
  let entropy = 0;
  for (const s of sigma) {
    const p = s / total + 1e-7;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** RankMe of the rows of z [B, d]. */
export async function effectiveRank(z: tf.Tensor): Promise<number> {
  return rankWithCovariance(await z.data(), z.shape[0], z.shape[1]!).rank;
}

/** RankMe of rows × cols values, with the covariance it came from (the embedding view's PCA reuses it). */
export function rankWithCovariance(z: ArrayLike<number>, rows: number, cols: number): { rank: number; cov: { matrix: Float64Array; n: number } } {
  const cov = covariance(z, rows, cols);
  return { rank: effectiveRankFromEigenvalues(symmetricEigenvalues(cov.matrix, cov.n)), cov };
}

export { isCollapsed } from './collapse';
