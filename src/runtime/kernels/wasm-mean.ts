/**
 * Mean over one middle axis for tfjs's wasm backend, without the transpose.
 * tfjs moves a reduced axis last (a full strided copy) and then sums each
 * row; BatchNorm's batch statistics are exactly that case (x [V, N, C] over
 * N), 8 % of a SimSiam step and 16 % of a BYOL step (its target network
 * normalizes too). Here our wasm kernel (c/mean_middle_axis.c) reads x once
 * in memory order into per-column float32 accumulators: the same additions
 * in the same order, so the result is bit-identical to tfjs's (the
 * PyTorch-parity runs are sensitive to one ulp). Other reductions go to
 * tfjs's kernel.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { runOwnWasm } from './own-wasm';
import { heapOffset, tfjsWasmKernel, type WasmHeapBackend } from './wasm-compose';

export const mean: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const axes = util.parseAxisParam(axis, x.shape);
  const a = axes[0];
  if (axes.length !== 1 || a === x.shape.length - 1 || x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return tfjsWasmKernel('Mean')(args);
  const outer = util.sizeFromShape(x.shape.slice(0, a));
  const n = x.shape[a];
  const inner = util.sizeFromShape(x.shape.slice(a + 1));
  const wasm = backend as unknown as WasmHeapBackend;
  const out = wasm.makeOutput(keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a), 'float32');
  runOwnWasm(backend, 'mean_middle_axis', [heapOffset(backend, x), heapOffset(backend, out), outer, n, inner]);
  return out;
};
