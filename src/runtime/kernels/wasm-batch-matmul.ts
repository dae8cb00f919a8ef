/**
 * BatchMatMul for tfjs's wasm backend, routed to XNNPACK. tfjs 4.22 runs a
 * product on XNNPACK's GEMM only when neither side is transposed; a
 * transposed one falls to a scalar triple loop. Backpropagation through a
 * dense layer asks for exactly those (dW = xᵀ·dy, dx = dy·Wᵀ), as does the
 * kNN monitor (q·bankᵀ over a 60k bank): ~8 % of a SimSiam step. Here the
 * transpose is made explicit (one pass over the operand, against the
 * product's m·n·k multiply-adds) and the product runs on XNNPACK.
 *
 * Batched products (the augmentations' colour matrices, BatchNorm's sums of
 * rows: ~8 % of a step) run tfjs's blocked scalar loop on one thread; its
 * rounding is what the PyTorch-parity runs match. Ours
 * (c/batch_matmul_blocked.c) makes the same additions in the same order,
 * SIMD across columns, on every wasm thread.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { runOwnWasm } from './own-wasm';
import { composeWasm, heapOffset, tfjsWasmKernel, type WasmHeapBackend } from './wasm-compose';

/** [..., r, c] → [..., c, r] */
const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

export const batchMatMul: KernelFunc = (args) => {
  const tfjs = tfjsWasmKernel('BatchMatMul');
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const batch = (t: TensorInfo) => util.sizeFromShape(t.shape.slice(0, -2));
  if (batch(a) > 1 || batch(b) > 1) {
    const sameBatch = util.arraysEqual(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const plain = !transposeA && !transposeB && sameBatch && a.dtype === 'float32' && b.dtype === 'float32';
    return (plain ? blockedBatchMatMul(backend, a, b) : tfjs(args)) as TensorInfo;
  }
  if (!transposeA && !transposeB) return tfjs(args) as TensorInfo;
  return composeWasm(backend, (step) => {
    const plain = (t: TensorInfo, transpose: boolean) => (transpose ? step('Transpose', { x: t }, { perm: swapLast(t.shape.length) }) : t);
    const [left, right] = [plain(a, transposeA), plain(b, transposeB)];
    return tfjs({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  });
};

/** a [..., m, k] · b [..., k, n] with the same batch dimensions, by our kernel. */
function blockedBatchMatMul(backend: unknown, a: TensorInfo, b: TensorInfo): TensorInfo {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const out = (backend as WasmHeapBackend).makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  runOwnWasm(backend, 'batch_matmul_blocked', [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), util.sizeFromShape(a.shape.slice(0, -2)), m, k, n]);
  return out;
}
