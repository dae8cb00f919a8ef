/**
 * Composing wasm kernels from other wasm kernels: runs them directly on the
 * backend (no tape, no engine bookkeeping) and frees every intermediate.
 */
import { backend_util, getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The wasm backend's calls for kernels written in JavaScript over its heap. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  /** A view of a tensor's memory; take it after every makeOutput (an allocation may grow and move the heap). */
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
  /** Where each tensor lives: memoryOffset is its byte offset in the wasm memory. */
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

/** The byte offset of a tensor in the wasm memory, for our own wasm kernels. */
export function heapOffset(backend: unknown, t: TensorInfo): number {
  const entry = (backend as WasmHeapBackend).dataIdMap.get(t.dataId);
  if (!entry) throw new Error('wasm backend: tensor not found (disposed?)');
  return entry.memoryOffset;
}

const tfjsOwn = new Map<string, KernelConfig>();

/**
 * Puts `kernelFunc` in place of tfjs's wasm kernel `name` (or adds it where
 * tfjs has none), keeping tfjs's setup, which binds its wasm function for
 * tfjsWasmKernel. Safe to call more than once.
 */
export function replaceWasmKernel(name: string, kernelFunc: KernelFunc): void {
  const current = getKernel(name, 'wasm');
  if (current?.kernelFunc === kernelFunc) return;
  if (current) {
    tfjsOwn.set(name, current);
    unregisterKernel(name, 'wasm');
  }
  registerKernel({ ...current, kernelName: name, backendName: 'wasm', kernelFunc });
}

/** tfjs's own wasm kernel `name`, which ours delegate to for the cases it runs well. */
export function tfjsWasmKernel(name: string): KernelFunc {
  const own = tfjsOwn.get(name);
  if (!own) throw new Error(`tfjs's wasm ${name} kernel was not replaced (registerWasmTrainingKernels first)`);
  return own.kernelFunc;
}

export type Step = (name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap) => TensorInfo;

/**
 * Calls `body` with `step`, which runs a wasm kernel and remembers its output
 * as a temporary, and `temp`, which remembers a tensor made otherwise. The
 * TensorInfo `body` returns is kept; every other temporary is disposed, also
 * when `body` throws.
 */
export function composeWasm(backend: unknown, body: (step: Step, temp: (t: TensorInfo) => TensorInfo) => TensorInfo): TensorInfo {
  const temps: TensorInfo[] = [];
  const temp = (t: TensorInfo) => (temps.push(t), t);
  const step: Step = (name, inputs, attrs) => {
    const kernel = getKernel(name, 'wasm');
    if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
    const out = kernel.kernelFunc({ inputs: inputs as never, attrs, backend: backend as never }) as TensorInfo;
    temps.push(out);
    return out;
  };
  let result: TensorInfo | undefined;
  try {
    result = body(step, temp);
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
