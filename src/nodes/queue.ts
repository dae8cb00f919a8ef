import { z } from 'zod';
import { formatShape, intBetween, tensor, type LocalProblem } from '../graph';
import { dimOf, type Tensor, type Tf } from './build';
import { defineKind } from './kind';
import { l2Normalize } from './nn/layers';
import queuePython from './queue.py.ts';
import { py } from './python';

/**
 * MoCo's dictionary: "we maintain the dictionary as a queue of data samples …
 * the current mini-batch is enqueued to the dictionary, and the oldest
 * mini-batch in the queue is removed" (He et al. 2020, MoCo §3.2,
 * https://arxiv.org/abs/1911.05722; kept by MoCo v2, Chen, Fan, Girshick &
 * He 2020, https://arxiv.org/abs/2003.04297, K = 65536).
 *
 * Training state (kind.ts KindState): `keys`, K × D, row 0 the oldest. After
 * each step the step's keys of view 0 (one key per image, as MoCo's single key
 * view), l2-normalized as MoCo enqueues them, go in at the end and as many of
 * the oldest leave: after k steps the queue is the last K rows of
 * [initial; keys₁; …; keys_k]. Under DDP the keys of every process are
 * gathered first (MoCo's concat_all_gather), in rank order. It starts as MoCo's
 * does, K random unit vectors (i.i.d. standard normal rows, l2-normalized),
 * drawn from the seeded init stream here and from torch's seeded generator in
 * an exported script: the same rule, not the same numbers (as the weights').
 */
export function enqueue(tf: Tf, queue: Tensor, keys: Tensor): Tensor {
  return tf.tidy(() => {
    const [size] = queue.shape;
    const fresh = l2Normalize(tf, tf.squeeze(tf.slice(keys, [0, 0, 0], [1, -1, -1]), [0]));
    return tf.slice(tf.concat([queue, fresh]), [fresh.shape[0], 0], [size, -1]);
  });
}

export const queue = defineKind({
  type: 'queue',
  title: 'Key queue',
  group: 'Loss',
  doc: 'MoCo’s queue of the last K keys (arxiv.org/abs/1911.05722, v2: arxiv.org/abs/2003.04297): “the current mini-batch is enqueued to the dictionary, and the oldest mini-batch in the queue is removed” — the negatives of InfoNCE.',
  citation: 'He et al. 2020 (MoCo) §3.2, arXiv 1911.05722; Chen et al. 2020 (MoCo v2), arXiv 2003.04297',
  inputs: [{ key: 'keys', kind: 'features', label: 'keys k (enqueued)', required: true }],
  outputs: [{ key: 'queue', kind: 'features', label: 'queue K×D' }],
  params: z.strictObject({
    /** K: MoCo v2's is 65536 at batch 256 on ImageNet. */
    size: intBetween(1, 262_144).default(4096),
  }),
  traits: { memory: { input: 'keys', output: 'queue' }, stopsGradient: true },
  infer: ({ params, inputs, batchSize }) => {
    const k = inputs.keys;
    const problems: LocalProblem[] = [];
    if (batchSize !== undefined && params.size < batchSize) {
      problems.push({
        code: 'queue-shorter-than-batch', param: 'size',
        message: `a queue of ${params.size} keys is shorter than the batch (${batchSize}): every step enqueues a whole batch of keys (MoCo's K is many batches, 65536 at 256)`,
      });
    }
    if (k?.kind === 'tensor' && k.dims.length !== 3) {
      problems.push({ code: 'shape-mismatch', port: 'keys', message: `expects keys V×B×D, got ${formatShape(k)}` });
      return { outputs: {}, problems };
    }
    return { outputs: k?.kind === 'tensor' ? { queue: tensor(params.size, k.dims[2]) } : {}, problems };
  },
  state: {
    buffers: ({ size }, inputs, rng) => {
      const d = dimOf(inputs.keys, 2);
      const init = new Float32Array(size * d);
      for (let row = 0; row < size; row++) {
        const v = Array.from({ length: d }, () => rng.normal());
        const norm = Math.max(Math.hypot(...v), 1e-12);
        for (let j = 0; j < d; j++) init[row * d + j] = v[j] / norm;
      }
      return { keys: { shape: [size, d], init } };
    },
    reads: ['keys'],
    gatherAcrossProcesses: true,
    update: ({ tf, state, inputs }) => ({ keys: enqueue(tf, state.keys, inputs.keys) }),
    // one key per image each step (view 0's), so the run's keys are the last min(K, steps·B) rows
    figure: ({ size }, { steps, batchSize }) => ({
      label: 'queue', value: Math.min(size, steps * batchSize), of: size, unit: 'keys from this run', rest: 'the initial random unit vectors',
    }),
  },
  pytorch: {
    python: queuePython,
    module: ({ size }, d) => `KeyQueue(${py(size)}, ${py(d)})`,
    forward: ({ attr }) => `self.${attr}.keys`,
  },
  build: ({ state }) => ({ forward: () => ({ queue: state.keys }) }),
});
