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
import { backend_util, getKernel, registerKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { registerWasmConv2DBackpropInput } from './wasm-conv2d-backprop-input';

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

function call(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap, backend: unknown): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, attrs, backend: backend as never }) as TensorInfo;
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [kh, kw, ci, co] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const wasm = backend as WasmBackendLike;
  const temps: TensorInfo[] = [];
  const step = (name: string, ins: Record<string, TensorInfo>, at: NamedAttrMap) => {
    const out = call(name, ins, at, backend);
    temps.push(out);
    return out;
  };
  try {
    const xt = step('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyt = step('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const full = step('Conv2D', { x: xt, filter: dyt }, {
      strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined as never,
    });
    // The padded extent can exceed the kernel by up to stride − 1 rows/columns.
    const cut = full.shape[1] === kh && full.shape[2] === kw ? full : step('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    return call('Transpose', { x: cut }, { perm: [1, 2, 0, 3] }, backend);
  } finally {
    for (const t of temps) wasm.disposeData(t.dataId);
  }
};

export const wasmConv2DBackpropFilter: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};

/** Registers the wasm training kernels tfjs lacks or ships slow; safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (!getKernel('Conv2DBackpropFilter', 'wasm')) registerKernel(wasmConv2DBackpropFilter);
  registerWasmConv2DBackpropInput();
}
