/**
 * Layers over view stacks: the same weights on every view, and BatchNorm
 * statistics per view, "as when the reference code calls the network once
 * per view" (docs/semantics.md). Conv layers see the views folded into the batch,
 * [V·B, H, W, C], and MLP layers [V, B, D]: no op runs on a rank-5 tensor,
 * which tfjs's WebGPU backend cannot index. Parameters are created through
 * the build context; initialisation follows PyTorch's defaults so that
 * exported scripts start from the same distribution.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { BuildContext, LayerEnv, Tensor, Tensor2D, Tensor4D, Tf, Variable } from '../build';
import type { Rng } from './rng';

/** PyTorch's default for conv and linear layers: U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5). */
export const uniformFanIn = (rng: Rng, fanIn: number) => (size: number) => {
  const bound = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: size }, () => rng.uniform(-bound, bound));
};
const fill = (value: number) => (size: number) => new Float32Array(size).fill(value);

export interface Conv {
  weight: Variable;
  stride: number;
  pad: number;
}

/** A conv k×k (no bias: a BatchNorm follows), padding (k−1)/2 as in PyTorch. */
export function conv(ctx: BuildContext<unknown>, name: string, k: number, cin: number, cout: number, stride: number): Conv {
  return { weight: ctx.param(`${name}.weight`, [k, k, cin, cout], 'weight', uniformFanIn(ctx.rng, cin * k * k)), stride, pad: (k - 1) >> 1 };
}

/** A conv over views folded into the batch: [V·B, H, W, C]. */
export function applyConv(tf: Tf, c: Conv, x: Tensor): Tensor {
  return tf.conv2d(x as Tensor4D, c.weight as Tensor4D, c.stride, c.pad);
}

export interface Linear {
  weight: Variable;
  bias?: Variable;
}

export function linear(ctx: BuildContext<unknown>, name: string, din: number, dout: number, bias: boolean): Linear {
  const init = uniformFanIn(ctx.rng, din);
  return {
    weight: ctx.param(`${name}.weight`, [din, dout], 'weight', init),
    bias: bias ? ctx.param(`${name}.bias`, [dout], 'bias', init) : undefined,
  };
}

export function applyLinear(tf: Tf, l: Linear, x: Tensor): Tensor {
  const [v, b, d] = x.shape as [number, number, number];
  const y = tf.matMul(tf.reshape(x, [v * b, d]) as Tensor2D, l.weight as Tensor2D);
  return tf.reshape(l.bias ? tf.add(y, l.bias) : y, [v, b, l.weight.shape[1] as number]);
}

export interface BatchNorm {
  gamma?: Variable;
  beta?: Variable;
  runningMean: Variable;
  runningVar: Variable;
}

/** PyTorch's BatchNorm defaults. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export function batchNorm(ctx: BuildContext<unknown>, name: string, channels: number, affine = true): BatchNorm {
  return {
    gamma: affine ? ctx.param(`${name}.weight`, [channels], 'norm', fill(1)) : undefined,
    beta: affine ? ctx.param(`${name}.bias`, [channels], 'norm', fill(0)) : undefined,
    runningMean: ctx.buffer(`${name}.running_mean`, [channels], fill(0)),
    runningVar: ctx.buffer(`${name}.running_var`, [channels], fill(1)),
  };
}

/**
 * BatchNorm over `views` views whose samples are the leading axis of x
 * ([V·B, H, W, C] or [V, B, D]): in training, each view is normalized by its
 * own batch statistics and updates the running statistics in turn (momentum
 * 0.1, unbiased variance), exactly as V separate calls of torch.nn.BatchNorm
 * would; in evaluation, the running statistics are used. `relu`: a ReLU
 * follows (fused with it where the backend can).
 */
export function applyBatchNorm(tf: Tf, bn: BatchNorm, x: Tensor, views: number, env: LayerEnv, relu = false): Tensor {
  const c = x.shape[x.rank - 1] as number;
  const perView = tf.reshape(x, [views, -1, c]);
  let out: Tensor;
  if (env.mode === 'train') {
    const gamma = bn.gamma ?? tf.ones([c]);
    const beta = bn.beta ?? tf.zeros([c]);
    out = trainBatchNorm(tf, perView, gamma, beta, (mean, variance) =>
      updateRunningStats(tf, bn, tf.reshape(mean, [views, c]), tf.reshape(variance, [views, c]), perView.shape[1] as number, env), { relu });
  } else {
    const normalized = tf.mul(tf.sub(perView, bn.runningMean), tf.rsqrt(tf.add(bn.runningVar, BN_EPS)));
    const affine = bn.gamma && bn.beta ? tf.add(tf.mul(normalized, bn.gamma), bn.beta) : normalized;
    out = relu ? tf.relu(affine) : affine;
  }
  return tf.reshape(out, x.shape);
}

/**
 * Fused training-mode BatchNorm kernels a backend may provide (the wasm
 * backend's, src/runtime/kernels/wasm-batch-norm.ts): the forward
 * {x [V, N, C], gamma, beta} → [y, mean, variance, inv] (attrs epsilon,
 * relu), and its gradient {dy, x, mean, inv, gamma, beta} → [dx, dGamma,
 * dBeta] (attr relu), each bit-identical to the composite below (followed by
 * tf.relu where relu). Where a backend has none, the composite runs.
 */
export const BATCH_NORM_TRAIN = 'SiameseBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'SiameseBatchNormTrainGrad';

const hasFusedBatchNorm = (tf: Tf) => !!tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) && !!tf.getKernel(BATCH_NORM_TRAIN_GRAD, tf.getBackend());

/**
 * Training-mode BatchNorm of x [V, N, C] per view, with its gradient written
 * out: the textbook dx = γ/σ · (dŷ − mean(dŷ) − x̂·mean(dŷ·x̂)) in one go,
 * its sums over the N samples as matrix products with rows of ones, which
 * tfjs runs on contiguous memory (its reductions over a middle axis transpose
 * first: ~3.5× slower on wasm; autodiff of the forward below made ~10 such
 * reductions per layer). The forward keeps tf.mean: its rounding follows
 * PyTorch's closely, and at batch 4 a run's third step is sensitive enough
 * to tell (the parity harness measured 4.5e-4 apart with ones-products here).
 * The batch statistics go to `onStats` from inside (tfjs disposes a custom
 * op's intermediates when it returns). `relu`: a ReLU follows. `fused`: the
 * backend's fused kernels (same values, bit for bit, in fewer passes over x)
 * instead of the composite; by default wherever the backend has them.
 */
export function trainBatchNorm(tf: Tf, x: Tensor, gamma: Tensor, beta: Tensor, onStats: (mean: Tensor, variance: Tensor) => void, { relu = false, fused = x.size > 0 && hasFusedBatchNorm(tf) } = {}): Tensor {
  if (fused) return fusedTrainBatchNorm(tf, x, gamma, beta, onStats, relu);
  const y = compositeTrainBatchNorm(tf, x, gamma, beta, onStats);
  return relu ? tf.relu(y) : y;
}

function compositeTrainBatchNorm(tf: Tf, x: Tensor, gamma: Tensor, beta: Tensor, onStats: (mean: Tensor, variance: Tensor) => void): Tensor {
  const [v, n, c] = x.shape as [number, number, number];
  const sumSamples = (t: Tensor) => sumRows(tf, t);

  const op = tf.customGrad(((xs: Tensor, g: Tensor, b: Tensor, save: (t: Tensor[]) => void) => {
    const mean = tf.mean(xs, 1, true);
    const centred = tf.sub(xs, mean);
    const variance = tf.mean(tf.square(centred), 1, true);
    onStats(mean, variance);
    const inv = tf.rsqrt(tf.add(variance, BN_EPS));
    const xhat = tf.mul(centred, inv);
    save([xhat, inv, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: Tensor, [xh, iv, gs]: Tensor[]) => {
        const overAll = (t: Tensor) => tf.reshape(sumRows(tf, tf.reshape(t, [1, v * n, c])), [c]);
        const dBeta = overAll(dy);
        const dGamma = overAll(tf.mul(dy, xh));
        const dxhat = tf.mul(dy, gs);
        const meanD = tf.div(sumSamples(dxhat), n);
        const meanDX = tf.div(sumSamples(tf.mul(dxhat, xh)), n);
        const dx = tf.mul(iv, tf.sub(tf.sub(dxhat, meanD), tf.mul(xh, meanDX)));
        return [dx, dGamma, dBeta];
      },
    };
  }) as never) as (x: Tensor, g: Tensor, b: Tensor) => Tensor;
  return op(x, gamma, beta);
}

/** The same op (and the ReLU after it) on the backend's fused kernels; x̂ and y are recomputed from x in the gradient rather than kept. */
function fusedTrainBatchNorm(tf: Tf, x: Tensor, gamma: Tensor, beta: Tensor, onStats: (mean: Tensor, variance: Tensor) => void, relu: boolean): Tensor {
  const op = tf.customGrad(((xs: Tensor, g: Tensor, b: Tensor, save: (t: Tensor[]) => void) => {
    const [y, mean, variance, inv] = tf.engine().runKernel<Tensor[]>(BATCH_NORM_TRAIN, { x: xs, gamma: g, beta: b }, { epsilon: BN_EPS, relu });
    onStats(mean, variance);
    save([xs, mean, inv, g, b]);
    return {
      value: y,
      gradFunc: (dy: Tensor, [xk, m, iv, gs, bs]: Tensor[]) => tf.engine().runKernel<Tensor[]>(BATCH_NORM_TRAIN_GRAD, { dy, x: xk, mean: m, inv: iv, gamma: gs, beta: bs }, { relu }),
    };
  }) as never) as (x: Tensor, g: Tensor, b: Tensor) => Tensor;
  return op(x, gamma, beta);
}

/**
 * How sumRows splits a sum over n rows: one product over all n (blocks = 1),
 * or blocks of `block` rows (about √n, dividing n) and then their sums.
 */
export function sumRowsPlan(n: number): { block: number; blocks: number } {
  let block = Math.floor(Math.sqrt(n));
  while (block > 1 && n % block !== 0) block--;
  return n <= 256 || block < 8 ? { block: n, blocks: 1 } : { block, blocks: n / block };
}

/**
 * Σ over the middle axis, [G, N, C] → [G, 1, C], as products with rows of
 * ones, in two levels (blocks of about √N, then their sums) so that float32
 * rounding grows with √N rather than N: a plain running sum over the 3136
 * values of a 28×28 BatchNorm drifts by ~1e-4 relative, enough to pull a
 * run visibly off PyTorch's within three steps.
 */
export function sumRows(tf: Tf, t: Tensor): Tensor {
  const [g, n, c] = t.shape as [number, number, number];
  const ones = (rows: number, len: number) => tf.ones([rows, 1, len]) as tfc.Tensor3D;
  const { block, blocks } = sumRowsPlan(n);
  if (blocks === 1) return tf.matMul(ones(g, n), t as tfc.Tensor3D);
  const partial = tf.matMul(ones(g * blocks, block), tf.reshape(t, [g * blocks, block, c]) as tfc.Tensor3D);
  return tf.matMul(ones(g, blocks), tf.reshape(partial, [g, blocks, c]) as tfc.Tensor3D);
}

function updateRunningStats(tf: Tf, bn: BatchNorm, means: Tensor, variances: Tensor, n: number, env: LayerEnv) {
  tf.tidy(() => {
    const views = means.shape[0];
    // After V sequential updates r ← (1−m)·r + m·s_v: r·(1−m)^V + Σ_v m·(1−m)^(V−1−v)·s_v.
    const weights = tf.tensor2d(Array.from({ length: views }, (_, v) => BN_MOMENTUM * (1 - BN_MOMENTUM) ** (views - 1 - v)), [1, views]);
    const keep = (1 - BN_MOMENTUM) ** views;
    const unbiased = tf.mul(variances, n / Math.max(n - 1, 1));
    env.assign(bn.runningMean, tf.add(tf.mul(bn.runningMean, keep), tf.reshape(tf.matMul(weights, means as Tensor2D), [-1])));
    env.assign(bn.runningVar, tf.add(tf.mul(bn.runningVar, keep), tf.reshape(tf.matMul(weights, unbiased as Tensor2D), [-1])));
  });
}

/** x / max(‖x‖₂, 1e-12) along the last axis, as torch.nn.functional.normalize. */
export function l2Normalize(tf: Tf, x: Tensor): Tensor {
  const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
  return tf.div(x, tf.maximum(norm, 1e-12));
}
