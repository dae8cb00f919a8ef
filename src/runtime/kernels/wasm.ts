/**
 * The wasm kernels this project adds to tfjs 4.22 or replaces in it, so that
 * training runs on XNNPACK: see each file for what and why.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../nodes/nn/layers';
import { batchMatMul } from './wasm-batch-matmul';
import { batchNormTrain, batchNormTrainGrad } from './wasm-batch-norm';
import { replaceWasmKernel } from './wasm-compose';
import { conv2DBackpropFilter } from './wasm-conv2d-backprop-filter';
import { conv2DBackpropInput } from './wasm-conv2d-backprop-input';
import { mean } from './wasm-mean';
import { topK } from './wasm-topk';

/** Registers the wasm training kernels; call before the wasm backend starts. Safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  replaceWasmKernel('Conv2DBackpropFilter', conv2DBackpropFilter);
  replaceWasmKernel('Conv2DBackpropInput', conv2DBackpropInput);
  replaceWasmKernel('BatchMatMul', batchMatMul);
  replaceWasmKernel('TopK', topK);
  replaceWasmKernel('Mean', mean);
  replaceWasmKernel('Identity', identity);
  replaceWasmKernel(BATCH_NORM_TRAIN, batchNormTrain);
  replaceWasmKernel(BATCH_NORM_TRAIN_GRAD, batchNormTrainGrad);
}

/**
 * Identity without a copy. tfjs's wasm kernel copies the whole tensor, and
 * every custom gradient (BatchNorm, stop-gradient) passes its outputs through
 * Identity: ~1 % of a step. Tensors are immutable, so the output can share
 * the input's memory, counted by reference, as the cpu backend and wasm's own
 * Reshape do.
 */
const identity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  (backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
