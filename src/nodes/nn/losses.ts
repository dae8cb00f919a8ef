import { assertNever } from '../../graph';
import type { Tensor, Tf } from '../build';
import { l2Normalize } from './layers';

/**
 * The symmetrized siamese loss over view stacks p, z of shape [V, B, D]: the
 * mean over ordered view pairs i ≠ j of D(p_i, z_j), with
 * negative-cosine D = −mean_b cos(p_i, z_j) (SimSiam Eq. 1–2) and
 * normalized-l2 D = mean_b (2 − 2·cos(p_i, z_j)) (BYOL Eq. 2).
 * For two views this is ½D(p1, z2) + ½D(p2, z1).
 */
export function siameseLoss(tf: Tf, objective: 'negative-cosine' | 'normalized-l2', p: Tensor, z: Tensor): Tensor {
  return tf.tidy(() => {
    const [v, b] = p.shape;
    const pn = tf.reshape(l2Normalize(tf, p), [v, -1]);
    const zn = tf.reshape(l2Normalize(tf, z), [v, -1]);
    // cos[i][j] = mean over the batch of cos(p_i, z_j)
    const cos = tf.div(tf.matMul(pn as never, zn as never, false, true), b);
    const offDiagonal = tf.div(tf.sub(tf.sum(cos), tf.sum(tf.mul(cos, tf.eye(v)))), v * (v - 1));
    switch (objective) {
      case 'negative-cosine':
        return tf.neg(offDiagonal);
      case 'normalized-l2':
        return tf.sub(2, tf.mul(2, offDiagonal));
      default:
        return assertNever(objective, 'loss objective');
    }
  });
}
