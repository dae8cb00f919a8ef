/**
 * Conv2DBackpropInput for tfjs's wasm backend. The one tfjs 4.22 ships is a
 * direct loop, measured at 63 % of a SimSiam step; this one runs on XNNPACK
 * convolutions without wasted work. A transposed convolution with stride s
 * splits into s×s phases ("sub-pixel" decomposition): along one axis, with
 * i = s·q + r, dx[i] = Σ_j dy[q + c_r − j] · W[k0_r + s·j] where
 * k0_r = (r + pad) mod s and c_r = (r + pad − k0_r) / s — a stride-1
 * correlation of dy with the taps k0_r, k0_r + s, … of the filter, reversed,
 * channels swapped. Each phase's output is then written to its rows and
 * columns of dx by our C kernel, on every wasm thread.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runOwnWasm } from './own-wasm';
import { composeWasm, forwardConv, heapOffset, type ConvGradAttrs, type Shape4, type WasmHeapBackend } from './wasm-compose';

/** One axis of one phase: which taps, and which part of dy, padded how, gives its outputs. */
interface Phase {
  /** First tap and tap count. */
  k0: number;
  taps: number;
  /** Outputs of this phase: ceil((size − r) / s). */
  out: number;
  /** The slice of dy used, [from, to), and the zeros around it; empty when from ≥ to. */
  from: number;
  to: number;
  before: number;
  after: number;
}

function phase(r: number, s: number, k: number, pad: number, size: number, dyLen: number): Phase {
  const k0 = (r + pad) % s;
  const taps = k0 < k ? Math.ceil((k - k0) / s) : 0;
  const c = (r + pad - k0) / s;
  const out = Math.max(0, Math.ceil((size - r) / s));
  // Output q reads dy[q + c − (taps − 1) … q + c]: over all q, dy[lo … hi].
  const [lo, hi] = [c - (taps - 1), out - 1 + c];
  return { k0, taps, out, from: Math.max(lo, 0), to: Math.min(hi, dyLen - 1) + 1, before: Math.max(0, -lo), after: Math.max(0, hi - (dyLen - 1)) };
}

export const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { inputShape, ...conv } = attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
  const [k1, k2, ci, co] = filter.shape as Shape4;
  const info = forwardConv('Conv2DBackpropInput', conv, inputShape, [k1, k2, ci, co]);
  const [n, h, w] = inputShape;
  const [, oh, ow] = dy.shape as [number, number, number, number];
  const { strideHeight: s1, strideWidth: s2 } = info;

  return composeWasm(backend, (step, temp) => {
    /** dx of one phase (r1, r2), [n, ceil((h − r1) / s1), ceil((w − r2) / s2), ci]; undefined where it is all zeros (no taps). */
    const phaseOutput = (r1: number, r2: number): TensorInfo | undefined => {
      const a = phase(r1, s1, k1, info.padInfo.top, h, oh);
      const b = phase(r2, s2, k2, info.padInfo.left, w, ow);
      if (a.taps === 0 || b.taps === 0 || a.out === 0 || b.out === 0 || a.from >= a.to || b.from >= b.to) return undefined;
      const kernel = temp(phaseKernel(backend as WasmHeapBackend, filter, a, b, s1, s2));
      const whole = a.from === 0 && a.to === oh && b.from === 0 && b.to === ow;
      const x = whole ? dy : step('Slice', { x: dy }, { begin: [0, a.from, b.from, 0], size: [n, a.to - a.from, b.to - b.from, co] });
      return step('Conv2D', { x, filter: kernel }, {
        strides: [1, 1], pad: [[0, 0], [a.before, a.after], [b.before, b.after], [0, 0]],
        dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined as never,
      });
    };

    if (s1 === 1 && s2 === 1) return phaseOutput(0, 0) ?? step('Fill', {}, { shape: [n, h, w, ci], value: 0, dtype: 'float32' });
    // Each phase's output goes straight to its rows and columns of dx (c/conv2d_scatter_phase.c).
    const dx = temp((backend as WasmHeapBackend).makeOutput([n, h, w, ci], 'float32'));
    for (let r1 = 0; r1 < s1; r1++) {
      for (let r2 = 0; r2 < s2; r2++) {
        const out = phaseOutput(r1, r2);
        const [ph, pw] = [Math.ceil((h - r1) / s1), Math.ceil((w - r2) / s2)];
        runOwnWasm(backend, 'conv2d_scatter_phase', [out ? heapOffset(backend, out) : 0, heapOffset(backend, dx), out ? 0 : 1, n, ph, pw, ci, h, w, r1, r2, s1, s2]);
      }
    }
    return dx;
  });
};

/**
 * A phase's filter [a.taps, b.taps, co, ci]: the taps k0 + s·j of W, reversed,
 * channels swapped, gathered in one pass (tfjs's StridedSlice, Reverse and
 * Transpose took 45 ms of a step for the last layer's 3×3×128×256 filter).
 */
function phaseKernel(wasm: WasmHeapBackend, filter: TensorInfo, a: Phase, b: Phase, s1: number, s2: number): TensorInfo {
  const [, k2, ci, co] = filter.shape as Shape4;
  const out = wasm.makeOutput([a.taps, b.taps, co, ci], 'float32');
  const [w, kernel] = [wasm.typedArrayFromHeap(filter), wasm.typedArrayFromHeap(out)];
  for (let i = 0; i < a.taps; i++) {
    for (let j = 0; j < b.taps; j++) {
      const from = ((a.k0 + s1 * (a.taps - 1 - i)) * k2 + b.k0 + s2 * (b.taps - 1 - j)) * ci * co;
      const to = (i * b.taps + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) kernel[to + o * ci + c] = w[from + c * co + o];
    }
  }
  return out;
}
