/**
 * kNN monitor as in lightly's benchmarks (after Wu et al. 2018, "Unsupervised
 * Feature Learning via Non-Parametric Instance Discrimination", §3.4): cosine
 * similarity to a labelled memory bank, the k nearest vote for their class
 * with weight exp(similarity / temperature), the top class wins. Queries go
 * in blocks, so similarities are never more than block × bank floats, and
 * tf.topk picks the k best of each row without sorting it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from '../nodes/nn/layers';

export interface KnnOptions {
  k: number;
  temperature: number;
  classes: number;
  block?: number;
}

/** Top-1 predictions for query features [Q, d] from bank features [N, d] and labels. */
export async function knnPredict(queries: tf.Tensor2D, bank: tf.Tensor2D, bankLabels: Int32Array, opts: KnnOptions): Promise<Int32Array> {
  const k = Math.min(opts.k, bank.shape[0]);
  const block = opts.block ?? 256;
  const out = new Int32Array(queries.shape[0]);
  const labels = tf.tensor1d(bankLabels, 'int32');
  const bankN = tf.tidy(() => l2Normalize(tf, bank));
  try {
    for (let start = 0; start < queries.shape[0]; start += block) {
      const size = Math.min(block, queries.shape[0] - start);
      const pred = tf.tidy(() => {
        const q = l2Normalize(tf, tf.slice(queries, [start, 0], [size, -1]));
        const sim = tf.matMul(q as tf.Tensor2D, bankN as tf.Tensor2D, false, true);
        const { values, indices } = tf.topk(sim, k);
        const weights = tf.exp(tf.div(values, opts.temperature));
        const votes = tf.mul(tf.oneHot(tf.gather(labels, indices), opts.classes), tf.expandDims(weights, -1));
        return tf.argMax(tf.sum(votes, 1), -1);
      });
      out.set(await pred.data() as Int32Array, start);
      pred.dispose();
    }
  } finally {
    labels.dispose();
    bankN.dispose();
  }
  return out;
}

export function top1(pred: Int32Array, labels: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / Math.max(pred.length, 1);
}
