/**
 * The decorrelation family's losses over a view stack z of shape [2, B, D]:
 * batch statistics of each view's embeddings, no stop-gradient, no
 * predictor. The same arithmetic, in the same order, as barlow-twins.py and
 * vicreg.py (parity).
 */
import type { Tensor, Tf } from '../build';

/** Inside the square root of Barlow Twins' standardization: BatchNorm1d's default, as the paper's code standardizes. */
export const BARLOW_EPS = 1e-5;

/** x [B, D] minus its mean over the batch. */
const centred = (tf: Tf, x: Tensor) => tf.sub(x, tf.mean(x, 0, true));

/** Σ of the squares of a D×D matrix's off-diagonal entries. */
const offDiagonalSquares = (tf: Tf, m: Tensor) => {
  const d = m.shape[0];
  return tf.sum(tf.square(tf.mul(m, tf.sub(1, tf.eye(d)))));
};

/**
 * Barlow Twins (Zbontar et al. 2021, Eq. 1–2): C = ẑᴬᵀẑᴮ / B with ẑ each
 * view standardized over the batch, (z − mean) / √(biased var + 1e-5) — the
 * biased variance makes C the paper's Eq. 2 (a correlation: C_ii reaches 1),
 * up to the eps —, and L = Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij².
 * Symmetric in the views: swapping them transposes C.
 */
export function barlowTwinsLoss(tf: Tf, z: Tensor, lambda: number): Tensor {
  return tf.tidy(() => {
    const [a, b] = tf.unstack(z);
    const n = a.shape[0];
    const standardized = (x: Tensor) => {
      const c = centred(tf, x);
      return tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), 0, true), BARLOW_EPS)));
    };
    const c = tf.div(tf.matMul(standardized(a) as never, standardized(b) as never, true, false), n);
    const diagonal = tf.sum(tf.mul(c, tf.eye(c.shape[0])), 1);
    const onDiagonal = tf.sum(tf.square(tf.sub(1, diagonal)));
    return tf.add(onDiagonal, tf.mul(lambda, offDiagonalSquares(tf, c)));
  });
}

export interface VicregCoefficients {
  /** λ: the invariance term's weight. */
  invariance: number;
  /** μ: the variance term's. */
  variance: number;
  /** ν: the covariance term's. */
  covariance: number;
  /** γ: the standard deviation the hinge asks of each dimension. */
  gamma: number;
  /** ε inside the square root of S(x, ε) = √(Var(x) + ε). */
  eps: number;
}

/**
 * VICReg (Bardes, Ponce & LeCun 2022, Eq. 1–6 and Algorithm 1):
 * ℓ = λ s(Z, Z′) + μ [v(Z) + v(Z′)] + ν [c(Z) + c(Z′)], with
 * s = the mean over B·D entries of (z − z′)² (Algorithm 1's mse_loss; Eq. 5's
 * (1/n)Σ‖·‖² is D times it), v(Z) = (1/D) Σ_j max(0, γ − √(Var(z^j) + ε)) and
 * c(Z) = (1/D) Σ_{i≠j} C(Z)²_ij, Var and C over the batch with 1/(B − 1).
 */
export function vicregLoss(tf: Tf, z: Tensor, k: VicregCoefficients): Tensor {
  return tf.tidy(() => {
    const [a, b] = tf.unstack(z);
    const [n, d] = a.shape;
    const invariance = tf.mean(tf.square(tf.sub(a, b)));
    const regularizers = (x: Tensor) => {
      const c = centred(tf, x);
      const std = tf.sqrt(tf.add(tf.div(tf.sum(tf.square(c), 0), n - 1), k.eps));
      const variance = tf.mean(tf.relu(tf.sub(k.gamma, std)));
      const covariance = tf.div(offDiagonalSquares(tf, tf.div(tf.matMul(c as never, c as never, true, false), n - 1)), d);
      return { variance, covariance };
    };
    const [ra, rb] = [regularizers(a), regularizers(b)];
    return tf.addN([
      tf.mul(k.invariance, invariance),
      tf.mul(k.variance, tf.add(ra.variance, rb.variance)),
      tf.mul(k.covariance, tf.add(ra.covariance, rb.covariance)),
    ]);
  });
}
