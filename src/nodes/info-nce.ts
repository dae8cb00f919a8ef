import { z } from 'zod';
import { between, formatShape, tensor, type LocalProblem } from '../graph';
import type { Tensor, Tf } from './build';
import infoNcePython from './info-nce.py.ts';
import { defineKind } from './kind';
import { l2Normalize } from './nn/layers';
import { py } from './python';

/**
 * MoCo's loss: "Lq = −log exp(q·k₊/τ) / Σ_{i=0}^{K} exp(q·kᵢ/τ) … a (K+1)-way
 * softmax-based classifier that tries to classify q as k₊", the negatives the
 * queue's keys (He et al. 2020, MoCo Eq. 1, https://arxiv.org/abs/1911.05722),
 * with MoCo v2's τ = 0.2 (Chen, Fan, Girshick & He 2020,
 * https://arxiv.org/abs/2003.04297). q, k₊ and the queue are l2-normalized.
 *
 * Views and symmetry: query q_i (view i through the trained encoder) takes as
 * its positive k₊ = k_j, the key of the same image in another view j (through
 * the key encoder), and the whole queue as negatives; the loss is the mean
 * over the images and the ordered view pairs i ≠ j — for 2 views
 * ½L(q₁, k₂) + ½L(q₂, k₁), the symmetrized MoCo v2 (SimSiam's Table 4 compares
 * it so). MoCo's original is the one pair L(q₁, k₂).
 */
export function infoNce(tf: Tf, query: Tensor, keys: Tensor, queue: Tensor, temperature: number): Tensor {
  return tf.tidy(() => {
    const v = query.shape[0];
    const q = tf.unstack(l2Normalize(tf, query));
    const k = tf.unstack(l2Normalize(tf, keys));
    const negatives = l2Normalize(tf, queue);
    const terms: Tensor[] = [];
    for (let i = 0; i < v; i++) {
      const against = tf.div(tf.matMul(q[i] as never, negatives as never, false, true), temperature);
      for (let j = 0; j < v; j++) {
        if (i === j) continue;
        const positive = tf.div(tf.sum(tf.mul(q[i], k[j]), 1, true), temperature);
        // −log softmax of the positive among itself and the K negatives
        terms.push(tf.mean(tf.sub(tf.logSumExp(tf.concat([positive, against], 1), 1), tf.squeeze(positive, [1]))));
      }
    }
    return tf.div(tf.addN(terms), terms.length);
  });
}

export const infoNceKind = defineKind({
  type: 'info-nce',
  title: 'InfoNCE',
  group: 'Loss',
  doc: 'MoCo’s contrastive loss (arxiv.org/abs/1911.05722, v2 τ = 0.2: arxiv.org/abs/2003.04297): “a (K+1)-way softmax-based classifier that tries to classify q as k₊”, the key of the other view, against the queue’s keys.',
  citation: 'He et al. 2020 (MoCo) Eq. 1, arXiv 1911.05722; Chen et al. 2020 (MoCo v2) §2, arXiv 2003.04297',
  inputs: [
    { key: 'query', kind: 'features', label: 'queries q', required: true },
    { key: 'key', kind: 'features', label: 'keys k (positives)', required: true },
    { key: 'queue', kind: 'features', label: 'queue (negatives)', required: true },
  ],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({
    /** τ: MoCo v2's (MoCo's 0.07). */
    temperature: between(0.01, 10).default(0.2),
    weight: between(0, 1000).default(1),
  }),
  traits: { loss: { output: 'loss' }, family: 'negatives', negatives: { query: 'query', keys: 'key', memory: 'queue' } },
  infer: ({ inputs }) => {
    const { query: q, key: k, queue } = inputs;
    const problems: LocalProblem[] = [];
    if (q?.kind === 'tensor' && k?.kind === 'tensor' && (q.dims.length !== k.dims.length || q.dims.some((d, i) => d !== k.dims[i]))) {
      problems.push({ code: 'shape-mismatch', port: 'key', message: `queries are ${formatShape(q)} but keys are ${formatShape(k)}: they must match` });
    }
    if (q?.kind === 'tensor' && queue?.kind === 'tensor' && (queue.dims.length !== 2 || queue.dims[1] !== q.dims[q.dims.length - 1])) {
      problems.push({ code: 'shape-mismatch', port: 'queue', message: `the queue is ${formatShape(queue)} but queries are ${formatShape(q)}: it must be K×${String(q.dims[q.dims.length - 1])}` });
    }
    const views = q?.kind === 'tensor' ? q.dims[0] : undefined;
    if (typeof views === 'number' && views < 2) {
      problems.push({ code: 'too-few-views', port: 'query', message: `needs at least 2 views (a query's positive is the key of another view), got ${views}` });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  pytorch: {
    python: infoNcePython,
    forward: ({ params, inputs }) => `${py(params.weight)} * info_nce_loss(${inputs.query}, ${inputs.key}, ${inputs.queue}, ${py(params.temperature)})`,
  },
  build: ({ tf, params }) => ({
    forward: ({ query, key, queue }) => ({ loss: tf.mul(infoNce(tf, query, key, queue, params.temperature), params.weight) }),
  }),
});
