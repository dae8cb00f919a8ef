/**
 * Conv2DBackpropFilter for tfjs's wasm backend, which 4.22 lacks (so conv
 * nets cannot train on wasm without it).
 *
 * dW[kh, kw, ci, co] = Σ_{n,oh,ow} x[n, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[n, oh, ow, co]
 * is a GEMM with a long reduction. Three ways, the first that applies:
 * - our own wasm kernel (c/conv2d_backprop_filter.c: cache-blocked along the
 *   reduction, on every wasm thread), when ci % 4 = 0 and co % 8 = 0;
 * - for a thin input (kh·kw·ci ≤ 64: the first layer), its patches first —
 *   a convolution with a one-hot filter, exact — then the same kernel as a
 *   1×1 filter gradient over them;
 * - otherwise one XNNPACK convolution: with x' = xᵀ as [Ci, H, W, N] and dy'
 *   as [OH, OW, N, Co], dW is conv2d(x', dy') with stride 1 and dilation s
 *   (the forward stride); three transposes and a slice move the axes.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runOwnWasm } from './own-wasm';
import { composeWasm, forwardConv, heapOffset, type ConvGradAttrs, type Shape4, type Step, type WasmHeapBackend } from './wasm-compose';

/** Most patch channels (kh·kw·ci) worth gathering before the GEMM. */
const MAX_PATCH = 64;

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterShape, ...conv } = attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
  const info = forwardConv('Conv2DBackpropFilter', conv, x.shape as Shape4, filterShape);
  const [kh, kw, ci, co] = filterShape;
  const geometry: Geometry = { kh, kw, sh: info.strideHeight, sw: info.strideWidth, pt: info.padInfo.top, pl: info.padInfo.left };
  return composeWasm(backend, (step, temp) => {
    if (co % 8 === 0 && ci % 4 === 0) return ownFilterGradient(backend, x, dy, geometry);
    if (co % 8 === 0 && kh * kw * ci <= MAX_PATCH) {
      const patches = patchesOf(step, backend, x, filterShape, conv);
      const flat = temp(ownFilterGradient(backend, patches, dy, { kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0 }));
      const used = step('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [1, 1, kh * kw * ci, co] });
      return step('Reshape', { x: used }, { shape: filterShape });
    }
    const { top, bottom, left, right } = info.padInfo;
    const xt = step('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyt = step('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const full = step('Conv2D', { x: xt, filter: dyt }, {
      strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined as never,
    });
    // The padded extent can exceed the kernel by up to stride − 1 rows/columns.
    const cut = full.shape[1] === kh && full.shape[2] === kw ? full : step('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    return step('Transpose', { x: cut }, { perm: [1, 2, 0, 3] });
  });
};

interface Geometry { kh: number; kw: number; sh: number; sw: number; pt: number; pl: number }

/** dW [kh, kw, ci, co] by our wasm kernel; needs ci % 4 = 0 and co % 8 = 0. */
function ownFilterGradient(backend: unknown, x: TensorInfo, dy: TensorInfo, g: Geometry): TensorInfo {
  const [n, h, w, ci] = x.shape as Shape4;
  const [, oh, ow, co] = dy.shape as Shape4;
  const out = (backend as WasmHeapBackend).makeOutput([g.kh, g.kw, ci, co], 'float32');
  if (n * oh * ow === 0) {
    (backend as WasmHeapBackend).typedArrayFromHeap(out).fill(0);
    return out;
  }
  // Blocks of output rows holding about 32 KB of dy: 8–16 rows, the fastest measured for the reference encoder on 2 cores (4 and 32 were slower).
  const rowsPerBlock = Math.max(1, Math.round(8192 / (ow * co)));
  runOwnWasm(backend, 'conv2d_backprop_filter', [
    heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, out),
    n, h, w, ci, oh, ow, co, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, rowsPerBlock,
  ]);
  return out;
}

/**
 * x's patches [n, oh, ow, m] (m = kh·kw·ci rounded up to 4; the rest zero)
 * by the forward convolution with a one-hot filter: channel (ky·kw + kx)·ci + c
 * of a patch is x at tap (ky, kx), channel c — products with 1 and 0, exact.
 */
function patchesOf(step: Step, backend: unknown, x: TensorInfo, [kh, kw, ci]: Shape4, conv: ConvGradAttrs): TensorInfo {
  const taps = kh * kw * ci;
  const m = Math.ceil(taps / 4) * 4;
  const oneHot = step('Fill', {}, { shape: [kh, kw, ci, m], value: 0, dtype: 'float32' });
  const values = (backend as WasmHeapBackend).typedArrayFromHeap(oneHot);
  for (let k = 0; k < taps; k++) values[k * m + k] = 1;
  return step('Conv2D', { x, filter: oneHot }, { ...conv, dilations: [1, 1] } as never);
}
