/**
 * Conv2DBackpropFilter for tfjs's wasm backend, which 4.22 lacks (so conv
 * nets cannot train on wasm without it).
 *
 * The filter gradient is one convolution: with x' = xᵀ as [Ci, H, W, N] and
 * dy' as [OH, OW, N, Co], dW[kh, kw, ci, co] = Σ_{n,oh,ow} x[n, oh·s + kh − pad,
 * ow·s + kw − pad, ci] · dy[n, oh, ow, co] is conv2d(x', dy') with stride 1 and
 * dilation s (the forward stride), i.e. XNNPACK's convolution does the work;
 * three transposes and a slice move the axes into place.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { composeWasm, forwardConv, type ConvGradAttrs, type Shape4 } from './wasm-compose';

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterShape, ...conv } = attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
  const info = forwardConv('Conv2DBackpropFilter', conv, x.shape as Shape4, filterShape);
  const [kh, kw, ci, co] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  return composeWasm(backend, (step) => {
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
