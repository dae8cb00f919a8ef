/**
 * Composing wasm kernels from other wasm kernels: runs them directly on the
 * backend (no tape, no engine bookkeeping) and frees every intermediate.
 */
import { backend_util, getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

export type Step = (name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap) => TensorInfo;

/**
 * Calls `body` with `step`, which runs a wasm kernel and remembers its output
 * as a temporary. The TensorInfo `body` returns is kept; every other
 * temporary is disposed, also when `body` throws.
 */
export function composeWasm(backend: unknown, body: (step: Step) => TensorInfo): TensorInfo {
  const temps: TensorInfo[] = [];
  const step: Step = (name, inputs, attrs) => {
    const kernel = getKernel(name, 'wasm');
    if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
    const out = kernel.kernelFunc({ inputs: inputs as never, attrs, backend: backend as never }) as TensorInfo;
    temps.push(out);
    return out;
  };
  let result: TensorInfo | undefined;
  try {
    result = body(step);
    return result;
  } finally {
    const wasm = backend as { disposeData(id: object): boolean };
    for (const t of temps) if (t !== result) wasm.disposeData(t.dataId);
  }
}

export type Shape4 = [number, number, number, number];

/** The attributes of tfjs's convolution-gradient kernels, and the forward convolution they belong to. */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The forward convolution's geometry (NHWC only, as XNNPACK runs it). */
export function forwardConv(kernel: string, attrs: ConvGradAttrs, input: Shape4, filter: Shape4): backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} (wasm): only NHWC is supported`);
  return backend_util.computeConv2DInfo(input, filter, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}
