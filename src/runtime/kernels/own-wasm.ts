/**
 * Our own wasm kernels (C in ./c, built by scripts/build-kernels.mjs), run on
 * tfjs's wasm memory: they read and write its tensors in place, by offset.
 *
 * Threads: where that memory is shared (tfjs's threaded build) and this
 * thread may block (Node; a Web Worker, where training runs),
 * startOwnWasmThreads adds helper threads, each with its own instance on the
 * same memory, and every call is split between them and the caller: the
 * caller posts the arguments in a small shared control block, wakes the
 * helpers (Atomics.notify), does its own part and waits for theirs.
 */
import { OWN_WASM_BASE64 } from './own-wasm-binary';

/** The kernels' exports; each takes its arguments, then (part, parts). */
const KERNELS = [
  'batch_matmul_blocked', 'batch_norm_apply', 'batch_norm_grad_finish', 'batch_norm_grad_input', 'batch_norm_grad_sums', 'batch_norm_stats',
  'conv2d_backprop_filter', 'conv2d_scatter_phase', 'mean_middle_axis', 'simd_peak',
] as const;
export type OwnKernel = (typeof KERNELS)[number];
type Exports = Record<OwnKernel, (...args: number[]) => void>;

/** Starts a helper thread running `source`, hands it `init`, resolves when it answers. */
export type SpawnThread = (source: string, init: HelperInit) => Promise<void>;

export interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  part: number;
  parts: number;
}

/** Control block: [0] job number, [1] helpers done, [2] a helper failed, [3] kernel index, [4] argument count, [5…] arguments. */
const CONTROL_WORDS = 64;
/** A helper that has not finished its part after this long is taken for dead. */
const HELPER_TIMEOUT_MS = 120_000;

/** The helper thread: the same source runs in Node (worker_threads, eval) and in a browser Worker (blob URL). */
const HELPER_SOURCE = `
const kernels = ${JSON.stringify(KERNELS)};
function serve({ module, memory, control, part, parts }, answer) {
  const run = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(control);
  answer('ready');
  for (let job = Atomics.load(c, 0); ; ) {
    Atomics.wait(c, 0, job);
    job = Atomics.load(c, 0);
    try {
      run[kernels[c[3]]](...c.subarray(5, 5 + c[4]), part, parts);
    } catch {
      Atomics.store(c, 2, 1);
    }
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  }
}
if (typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  serve(workerData, (m) => parentPort.postMessage(m));
} else {
  self.onmessage = (e) => serve(e.data, (m) => self.postMessage(m));
}
`;

interface Instance {
  exports: Exports;
  helpers?: { control: Int32Array; parts: number };
}

const instances = new WeakMap<WebAssembly.Memory, Instance>();
const compiled: Partial<Record<keyof typeof OWN_WASM_BASE64, WebAssembly.Module>> = {};

/** tfjs's wasm memory: exported by its single-threaded builds, imported (and kept on the module) by the threaded one. */
function memoryOf(backend: unknown): WebAssembly.Memory {
  const module = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!memory) throw new Error('wasm backend: its memory is not reachable');
  return memory;
}

const isShared = (memory: WebAssembly.Memory) => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

function instanceFor(memory: WebAssembly.Memory): Instance {
  let instance = instances.get(memory);
  if (!instance) {
    const kind = isShared(memory) ? 'shared' : 'plain';
    compiled[kind] ??= new WebAssembly.Module(Uint8Array.from(atob(OWN_WASM_BASE64[kind]), (ch) => ch.charCodeAt(0)));
    instance = { exports: new WebAssembly.Instance(compiled[kind], { env: { memory } }).exports as unknown as Exports };
    instances.set(memory, instance);
  }
  return instance;
}

/** Runs `kernel` over the wasm backend's memory, on every thread started for it. Arguments are int32 (offsets wrap, as wasm reads them). */
export function runOwnWasm(backend: unknown, kernel: OwnKernel, args: number[]): void {
  const { exports, helpers } = instanceFor(memoryOf(backend));
  if (!helpers) return exports[kernel](...args, 0, 1);
  const { control: c, parts } = helpers;
  c[3] = KERNELS.indexOf(kernel);
  c[4] = args.length;
  c.set(args, 5);
  Atomics.store(c, 1, 0);
  Atomics.add(c, 0, 1);
  Atomics.notify(c, 0);
  let failure: unknown;
  try {
    exports[kernel](...args, 0, parts);
  } catch (e) {
    failure = e; // still wait for the helpers: the next call reuses the control block
  }
  for (let done; (done = Atomics.load(c, 1)) < parts - 1; ) {
    if (Atomics.wait(c, 1, done, HELPER_TIMEOUT_MS) === 'timed-out') throw new Error(`wasm kernel ${kernel}: a helper thread stopped answering`);
  }
  if (Atomics.exchange(c, 2, 0) && !failure) failure = new Error(`wasm kernel ${kernel} failed on a helper thread`);
  if (failure) throw failure;
}

/** Threads (this one included) that split our kernels on this backend: 1 until startOwnWasmThreads. */
export function ownWasmThreads(backend: unknown): number {
  return instanceFor(memoryOf(backend)).helpers?.parts ?? 1;
}

/**
 * Starts `threads − 1` helper threads for the backend's memory. Does nothing
 * where the memory is not shared; the caller must be a thread that may block.
 */
export async function startOwnWasmThreads(backend: unknown, threads: number, spawn: SpawnThread): Promise<void> {
  const memory = memoryOf(backend);
  const instance = instanceFor(memory);
  if (threads < 2 || !isShared(memory) || instance.helpers) return;
  const control = new SharedArrayBuffer(4 * CONTROL_WORDS);
  const module = compiled.shared!;
  await Promise.all(Array.from({ length: threads - 1 }, (_, i) => spawn(HELPER_SOURCE, { module, memory, control, part: i + 1, parts: threads })));
  instance.helpers = { control: new Int32Array(control), parts: threads };
}
