/**
 * Multi-threaded wasm in Node. tfjs 4.22 turns wasm threads off in Node (its
 * WASM_HAS_MULTITHREAD_SUPPORT flag answers false there, tfjs#3830), although
 * its threaded-SIMD build carries Emscripten's Node glue (pthreads on
 * worker_threads); only the paths tfjs hands that glue are browser ones
 * (blob: URLs). And its C side caps XNNPACK's thread pool at half the logical
 * cores — a guess at hyper-threading that leaves a 2-core machine one thread
 * while PyTorch uses two. Here the `wasm` backend is registered again on the
 * threaded binary, with file paths for the pthread worker and the glue, and a
 * pool of `threads`. If that fails, tfjs's own single-threaded backend starts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as tfc from '@tensorflow/tfjs-core';
import { startOwnWasmThreads, type SpawnThread } from '../kernels/own-wasm';

const require = createRequire(import.meta.url);

/** wasm threads in Node (XNNPACK's pool and our kernels'): SIAMESE_WASM_THREADS, else every logical core (tfjs's pool holds at most 8). */
export function wasmThreadsWanted(): number {
  const fromEnv = Number(process.env.SIAMESE_WASM_THREADS);
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Math.max(1, Math.min(8, Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : cores));
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: Record<string, unknown>;
}

/** Re-registers tfjs's `wasm` backend to start threaded; call before the backend starts. */
export function registerThreadedWasm(tf: typeof tfc, threads = wasmThreadsWanted()): void {
  const fallback = tf.findBackendFactory('wasm');
  if (!fallback || threads < 2) return;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (module: EmscriptenModule) => tfc.KernelBackend;
    setThreadsCount(n: number): void;
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    try {
      const module = await startThreaded(threads);
      wasm.setThreadsCount(threads);
      const backend = new wasm.BackendWasm(module);
      // The pool's threads wait for work forever; they must not keep Node alive.
      for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
      await startOwnWasmThreads(backend, threads, spawnNodeThread).catch((e) => {
        process.emitWarning(`wasm: our kernels run on one thread (${(e as Error).message ?? e})`);
      });
      return backend;
    } catch (e) {
      process.emitWarning(`wasm: threads unavailable (${(e as Error).message ?? e}); running on one thread`);
      return fallback();
    }
  }, 2);
}

async function startThreaded(threads: number): Promise<EmscriptenModule> {
  const out = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const glue = join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const worker = pthreadWorkerFile(out);
  const factory = require(glue) as (config: object) => Promise<EmscriptenModule>;
  // The pool size is capped at (logical cores) / 2, read once while the module starts.
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  try {
    const module = await factory({ locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : join(out, file)), mainScriptUrlOrBlob: glue });
    const c = module.cwrap.bind(module);
    module.tfjs = {
      init: c('init', null, []),
      initWithThreadsCount: c('init_with_threads_count', null, ['number']),
      getThreadsCount: c('get_threads_count', 'number', []),
      registerTensor: c('register_tensor', null, ['number', 'number', 'number']),
      disposeData: c('dispose_data', null, ['number']),
      dispose: c('dispose', null, []),
    };
    return module;
  } finally {
    os.cpus = cpus;
  }
}

/** tfjs ships the pthread worker's source as a string (for a blob: URL); Node's Worker needs a file. */
function pthreadWorkerFile(out: string): string {
  const { version } = JSON.parse(readFileSync(join(out, '..', 'package.json'), 'utf8')) as { version: string };
  const file = join(out, '..', '..', '..', '.cache', 'siamese-studio', `tfjs-wasm-pthread-${version}.cjs`);
  if (!existsSync(file)) {
    const { wasmWorkerContents } = require(join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
    mkdirSync(dirname(file), { recursive: true });
    // As tfjs does before making its blob: newlines inside the source's string literals stay escaped.
    writeFileSync(`${file}.${process.pid}`, wasmWorkerContents.replace(/\n/g, '\\n'));
    renameSync(`${file}.${process.pid}`, file); // whole or not at all: test files start in parallel
  }
  return file;
}

/** A worker_threads helper for our own wasm kernels; like tfjs's pool, it must not keep Node alive. */
const spawnNodeThread: SpawnThread = (source, init) => new Promise((resolve, reject) => {
  const worker = new Worker(source, { eval: true, workerData: init });
  worker.once('error', reject);
  worker.once('message', () => {
    worker.unref();
    resolve();
  });
});
