/**
 * The wasm kernels this project adds to tfjs 4.22 or replaces in it, so that
 * training runs on XNNPACK: see each file for what and why.
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { registerWasmBatchMatMul } from './wasm-batch-matmul';
import { wasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter';
import { registerWasmConv2DBackpropInput } from './wasm-conv2d-backprop-input';
import { registerWasmTopK } from './wasm-topk';

/** Registers the wasm training kernels; call before the wasm backend starts. Safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (!getKernel('Conv2DBackpropFilter', 'wasm')) registerKernel(wasmConv2DBackpropFilter);
  registerWasmConv2DBackpropInput();
  registerWasmBatchMatMul();
  registerWasmTopK();
}
