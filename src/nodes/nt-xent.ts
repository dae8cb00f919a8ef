import { z } from 'zod';
import { between, tensor, type LocalProblem } from '../graph';
import type { Tensor, Tf } from './build';
import gatherPython from './gather.py.ts';
import { defineKind } from './kind';
import { l2Normalize } from './nn/layers';
import ntXentPython from './nt-xent.py.ts';
import { py } from './python';

/**
 * SimCLR's loss: "ℓ(i,j) = −log exp(sim(z_i,z_j)/τ) / Σ_{k=1}^{2N} 1[k≠i] exp(sim(z_i,z_k)/τ)
 * … the final loss is computed across all positive pairs, both (i,j) and (j,i),
 * in a mini-batch. … We term it NT-Xent (the normalized temperature-scaled cross
 * entropy loss)" (Chen, Kornblith, Norouzi & Hinton 2020, Eq. 1, Algorithm 1,
 * https://arxiv.org/abs/2002.05709; τ = 0.5 is its CIFAR-10 setting, B.9),
 * sim the cosine similarity.
 *
 * For V views of B samples there are M = V·B anchors (every view of every
 * sample). An anchor's positives are the V − 1 other views of its sample; its
 * denominator is every other anchor (positives included, itself excluded):
 *   ℓ(a) = logsumexp_{k≠a} s_ak/τ − 1/(V−1) · Σ_{p ∈ P(a)} s_ap/τ,
 * the −log softmax averaged over the positives (as SupCon's L_out, Khosla et
 * al. 2020, Eq. 2, with the sample's views as its class), and the loss is the
 * mean over all M anchors. For V = 2 this is Eq. 1 over all 2N anchors.
 * The self term is removed by subtracting 1e9 from it, as SimCLR's code does
 * (LARGE_NUM): exp of it is exactly 0 in float32 and float64.
 */
export function ntXent(tf: Tf, z: Tensor, temperature: number): Tensor {
  return tf.tidy(() => {
    const [v, b] = z.shape;
    const m = v * b;
    // anchor a = view · B + sample
    const zn = tf.reshape(l2Normalize(tf, z), [m, -1]);
    const logits = tf.div(tf.matMul(zn as never, zn as never, false, true), temperature);
    const self = tf.eye(m);
    const others = tf.sub(logits, tf.mul(self, SELF_MASK));
    // same sample, another view: tile(I_B, V×V) − I_M
    const positives = tf.sub(tf.tile(tf.eye(b), [v, v]), self);
    const positive = tf.div(tf.sum(tf.mul(positives, logits), 1), v - 1);
    return tf.mean(tf.sub(tf.logSumExp(others, 1), positive));
  });
}

/** What is subtracted from an anchor's similarity with itself (SimCLR's LARGE_NUM). */
const SELF_MASK = 1e9;

export const ntXentKind = defineKind({
  type: 'nt-xent',
  title: 'NT-Xent',
  group: 'Loss',
  doc: 'SimCLR’s “normalized temperature-scaled cross entropy loss” (arxiv.org/abs/2002.05709): each view’s other views are its positives, every other sample of the batch a negative.',
  citation: 'Chen et al. 2020 (SimCLR) Eq. 1, arXiv 2002.05709',
  inputs: [{ key: 'embeddings', kind: 'features', label: 'z (all views)', required: true }],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({
    /** τ: SimCLR's CIFAR-10 setting (Appendix B.9). */
    temperature: between(0.01, 10).default(0.5),
    weight: between(0, 1000).default(1),
  }),
  // no sides: in-batch negatives keep the embeddings apart, so neither stop-gradient nor predictor is asked for
  traits: { loss: { output: 'loss' }, family: 'negatives' },
  infer: ({ inputs }) => {
    const z = inputs.embeddings;
    const problems: LocalProblem[] = [];
    const views = z?.kind === 'tensor' ? z.dims[0] : undefined;
    if (typeof views === 'number' && views < 2) {
      problems.push({ code: 'too-few-views', port: 'embeddings', message: `needs at least 2 views (each view's positives are its other views), got ${views}` });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  pytorch: {
    python: [gatherPython, ntXentPython],
    forward: ({ params, inputs }) => `${py(params.weight)} * nt_xent_loss(${inputs.embeddings}, ${py(params.temperature)})`,
  },
  build: ({ tf, params }) => ({
    forward: ({ embeddings }) => ({ loss: tf.mul(ntXent(tf, embeddings, params.temperature), params.weight) }),
  }),
});
