/**
 * The wasm kernels this project adds to tfjs 4.22 or replaces in it, so that
 * training runs on XNNPACK: see each file for what and why.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { registerWasmBatchMatMul } from './wasm-batch-matmul';
import { wasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter';
import { registerWasmConv2DBackpropInput } from './wasm-conv2d-backprop-input';
import { registerWasmMean } from './wasm-mean';
import { registerWasmTopK } from './wasm-topk';

/** Registers the wasm training kernels; call before the wasm backend starts. Safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (!getKernel('Conv2DBackpropFilter', 'wasm')) registerKernel(wasmConv2DBackpropFilter);
  registerWasmConv2DBackpropInput();
  registerWasmBatchMatMul();
  registerWasmTopK();
  registerWasmMean();
  if (getKernel('Identity', 'wasm')?.kernelFunc !== identity) {
    unregisterKernel('Identity', 'wasm');
    registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity });
  }
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
