/**
 * tfjs in the browser (page or Web Worker): gradients, and the webgpu, webgl,
 * wasm and cpu backends. The wasm binaries are located explicitly (NOTES-tfjs.md:
 * without setWasmPaths a worker fetches index.html instead of the .wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { ownWasmThreads, startOwnWasmThreads, type SpawnThread } from '../kernels/own-wasm';
import { registerWasmTrainingKernels } from '../kernels/wasm';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
registerWasmTrainingKernels();
useEveryCoreForWasm();

export const loadTfBrowser = async (): Promise<typeof tf> => tf;

/**
 * tfjs sizes XNNPACK's thread pool (threaded wasm: cross-origin isolated
 * pages only) at hardwareConcurrency / 2, a guess at hyper-threading, and
 * caps setThreadsCount by it: a 2-core laptop trains on one thread. The wasm
 * backend starts here with the real count shown to it, at most tfjs's 8, and,
 * in a Web Worker (where a thread may block), as many threads for our own
 * wasm kernels.
 */
function useEveryCoreForWasm() {
  const factory = tf.findBackendFactory('wasm');
  if (!factory || typeof navigator === 'undefined') return;
  const cores = Math.min(8, navigator.hardwareConcurrency || 1);
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    setThreadsCount(cores);
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * cores, configurable: true });
    try {
      const backend = await factory();
      if ('WorkerGlobalScope' in globalThis) {
        await startOwnWasmThreads(backend, cores, spawnWebWorker).catch((e) => console.warn(`wasm: our kernels run on one thread (${(e as Error).message ?? e})`));
      }
      return backend;
    } finally {
      delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
    }
  }, 2);
}

/** A helper thread for our own wasm kernels: a Worker on a blob URL of its source. */
const spawnWebWorker: SpawnThread = (source, init) => new Promise((resolve, reject) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.onerror = (e) => reject(new Error(e.message || 'a helper thread did not start'));
  worker.onmessage = () => {
    URL.revokeObjectURL(url);
    resolve();
  };
  worker.postMessage(init);
});

/** Threads on the started wasm backend: the fewer of XNNPACK's and our kernels' (1 unless cross-origin isolated). */
export function wasmThreads(): number | undefined {
  try {
    return Math.min(getThreadsCount(), ownWasmThreads(tf.backend()));
  } catch {
    return undefined;
  }
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

/**
 * The GPU backends that run on a software renderer here (SwiftShader and
 * the like), with why `auto` should pass them over: on a CPU they are far
 * slower than wasm (a SimSiam step at batch 16: ~1 s on wasm, ~15 s on
 * webgl and ~30 s on webgpu through SwiftShader, 2 cores).
 */
export async function softwareRenderers(): Promise<Record<string, string>> {
  const avoid: Record<string, string> = {};
  try {
    const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
    const info = adapter?.info;
    if (info && SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.description}`)) avoid.webgpu = `software adapter (${info.vendor} ${info.architecture}): slower than wasm`;
  } catch { /* no WebGPU: selectBackend finds out by itself */ }
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = ext ? String(gl!.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    if (SOFTWARE.test(renderer)) avoid.webgl = `software renderer (${renderer.slice(0, 60)}): slower than wasm`;
  } catch { /* no WebGL 2 */ }
  return avoid;
}
