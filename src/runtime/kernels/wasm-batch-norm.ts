/**
 * Training-mode BatchNorm fused for tfjs's wasm backend (the kernels named in
 * src/nodes/nn/layers.ts). The composite there runs ~14 tfjs kernels per
 * layer and direction — Sub, Square, Multiply and Add on one thread, each a
 * full pass over x, and the sums of rows as products with ones — ~20 % of a
 * SimSiam step. Here: the statistics in one C kernel (two reads of x), the
 * normalization and affine map in one pass, and the gradient's sums and its
 * dx in two more (c/batch_norm_*.c), on every wasm thread. Each makes the
 * composite's float32 operations in its order — the sums in sumRows's blocks
 * (sumRowsPlan) — so the values are the same bit for bit: the PyTorch-parity
 * runs are sensitive to one ulp. Attribute relu: the ReLU that follows
 * (tfjs's Relu, and its gradient dy · step(y)) in the same passes.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { sumRowsPlan } from '../../nodes/nn/layers';
import { runOwnWasm } from './own-wasm';
import { composeWasm, heapOffset, type WasmHeapBackend } from './wasm-compose';

type Shape3 = [number, number, number];

/** Rows per task of the elementwise passes: about 4096 values, so that a task's slice of x stays in cache across its channel chunks. */
const rowsPerTask = (c: number) => Math.max(4, Math.ceil(4096 / c));

export const batchNormTrain: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { epsilon, relu } = attrs as { epsilon: number; relu: boolean };
  const [v, n, c] = x.shape as Shape3;
  const wasm = backend as unknown as WasmHeapBackend;
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const mean = wasm.makeOutput([v, 1, c], 'float32');
  const variance = wasm.makeOutput([v, 1, c], 'float32');
  runOwnWasm(backend, 'batch_norm_stats', [at(x), at(mean), at(variance), v, n, c]);
  // inv = rsqrt(variance + ε) by tfjs's own kernels, as the composite computes it (C values).
  const inv = composeWasm(backend, (step, temp) => {
    const eps = temp(wasm.makeOutput([], 'float32'));
    wasm.typedArrayFromHeap(eps)[0] = epsilon;
    return step('Rsqrt', { x: step('Add', { a: variance, b: eps }, {}) }, {});
  });
  const y = wasm.makeOutput(x.shape, 'float32');
  runOwnWasm(backend, 'batch_norm_apply', [at(x), at(mean), at(inv), at(gamma), at(beta), at(y), v, n, c, relu ? 1 : 0, rowsPerTask(c)]);
  return [y, mean, variance, inv];
};

export const batchNormTrainGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, mean, inv, gamma, beta } = inputs as Record<'dy' | 'x' | 'mean' | 'inv' | 'gamma' | 'beta', TensorInfo>;
  const relu = (attrs as { relu: boolean }).relu ? 1 : 0;
  const [v, n, c] = x.shape as Shape3;
  const wasm = backend as unknown as WasmHeapBackend;
  const at = (t: TensorInfo) => heapOffset(backend, t);
  // Σ over all V·N rows has a batch of one (XNNPACK: one running sum) at both levels; per view, tfjs's batched product (runs of 48) where V > 1.
  const all = sumRowsPlan(v * n);
  const view = sumRowsPlan(n);
  const [allRuns, viewRuns] = [all.blocks > 1 ? 1 : 0, view.blocks > 1 || v > 1 ? 1 : 0];
  const dx = wasm.makeOutput(x.shape, 'float32');
  const dGamma = wasm.makeOutput([c], 'float32');
  const dBeta = wasm.makeOutput([c], 'float32');
  composeWasm(backend, (_, temp) => {
    const allPartials = temp(wasm.makeOutput([all.blocks, 2, c], 'float32'));
    const viewPartials = temp(wasm.makeOutput([v, view.blocks, 2, c], 'float32'));
    const viewSums = temp(wasm.makeOutput([v, 2, c], 'float32'));
    runOwnWasm(backend, 'batch_norm_grad_sums', [at(dy), at(x), at(mean), at(inv), at(gamma), at(beta), at(allPartials), at(viewPartials), v, n, c, relu, all.block, all.blocks, allRuns, view.block, view.blocks, viewRuns]);
    runOwnWasm(backend, 'batch_norm_grad_finish', [at(allPartials), at(viewPartials), at(dBeta), at(dGamma), at(viewSums), v, c, all.blocks, 0, view.blocks, v > 1 ? 1 : 0]);
    runOwnWasm(backend, 'batch_norm_grad_input', [at(dy), at(x), at(mean), at(inv), at(gamma), at(beta), at(viewSums), at(dx), v, n, c, relu, rowsPerTask(c)]);
    return dx;
  });
  return [dx, dGamma, dBeta];
};
