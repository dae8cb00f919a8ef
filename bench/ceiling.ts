/**
 * The ceiling of wasm training on this machine: the arithmetic every thread
 * of ours does per second at best (c/simd_peak.c: f32x4 multiplies and adds,
 * no memory). A step's convolutions divided by it is the least time any wasm
 * kernel could take for them; set beside PyTorch's whole step, it says how
 * near to PyTorch wasm can come here at all.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { ownWasmThreads, runOwnWasm } from '../src/runtime/kernels/own-wasm';
import { heapOffset } from '../src/runtime/kernels/wasm-compose';

/** simd_peak's operations per iteration per thread: 12 chains × 4 lanes × (a multiply and an add). */
const FLOPS_PER_ITERATION = 12 * 4 * 2;

/** GFLOP/s of wasm's 128-bit SIMD on every thread our kernels use (tfjs's wasm backend must be the current one): the best of five ~0.3 s runs. */
export function wasmSimdPeak(tf: typeof tfc): { gflops: number; threads: number } {
  const backend = tf.backend();
  const threads = ownWasmThreads(backend);
  const out = tf.zeros([4 * threads]);
  try {
    const run = (iterations: number) => {
      const t0 = performance.now();
      runOwnWasm(backend, 'simd_peak', [heapOffset(backend, out), iterations]);
      return (performance.now() - t0) / 1000;
    };
    run(100_000); // compiled, threads awake
    const iterations = Math.max(1, Math.round(0.3 / (run(1_000_000) / 1_000_000)));
    const best = Math.min(...Array.from({ length: 5 }, () => run(iterations)));
    return { gflops: (iterations * FLOPS_PER_ITERATION * threads) / best / 1e9, threads };
  } finally {
    out.dispose();
  }
}
