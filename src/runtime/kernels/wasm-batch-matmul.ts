/**
 * BatchMatMul for tfjs's wasm backend, routed to XNNPACK. tfjs 4.22 runs a
 * product on XNNPACK's GEMM only when neither side is transposed; a
 * transposed one falls to a scalar triple loop. Backpropagation through a
 * dense layer asks for exactly those (dW = xᵀ·dy, dx = dy·Wᵀ), as does the
 * kNN monitor (q·bankᵀ over a 60k bank): ~8 % of a SimSiam step. Here the
 * transpose is made explicit (one pass over the operand, against the
 * product's m·n·k multiply-adds) and the product runs on XNNPACK.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { composeWasm, tfjsWasmKernel } from './wasm-compose';

/** [..., r, c] → [..., c, r] */
const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

export const batchMatMul: KernelFunc = (args) => {
  const tfjs = tfjsWasmKernel('BatchMatMul');
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const batch = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  // Batched products (the augmentations' colour matrices, BatchNorm's sums of
  // rows) stay on tfjs's loop: its rounding is what the PyTorch-parity runs
  // match, and a JavaScript copy of it measured 2× slower.
  if ((!transposeA && !transposeB) || batch(a) > 1 || batch(b) > 1) return tfjs(args) as TensorInfo;
  return composeWasm(backend, (step) => {
    const plain = (t: TensorInfo, transpose: boolean) => (transpose ? step('Transpose', { x: t }, { perm: swapLast(t.shape.length) }) : t);
    const [left, right] = [plain(a, transposeA), plain(b, transposeB)];
    return tfjs({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  });
};
