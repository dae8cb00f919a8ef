/**
 * tfjs in Node: gradients and backends.
 *
 * tfjs-core's Node entry (a CommonJS bundle) registers no gradients, and its
 * ES-module files use extension-less imports that Node cannot resolve; the
 * browser build gets them from `register_all_gradients` through Vite. Here we
 * bundle that one module once with esbuild (tfjs-core stays external, and
 * tfjs keeps its registries in a global, so both share them) and cache it.
 */
import { buildSync } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../kernels/wasm';
import { registerThreadedWasm } from './node-wasm-threads';

const require = createRequire(import.meta.url);
let ready: Promise<typeof tf> | undefined;

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU renderer (SwiftShader, lavapipe): far slower than wasm for training. */
  software: boolean;
}

/** The WebGPU adapter in use, once enableWebGpu has found one. */
export let webgpuAdapter: GpuAdapterInfo | undefined;

/** tfjs-core with gradients and the cpu and wasm backends (webgpu: see enableWebGpu). */
export function loadTfNode(): Promise<typeof tf> {
  ready ??= setup();
  return ready;
}

async function setup(): Promise<typeof tf> {
  registerGradients();
  require('@tensorflow/tfjs-backend-cpu');
  require('@tensorflow/tfjs-backend-wasm');
  registerThreadedWasm(tf);
  registerWasmTrainingKernels();
  await withoutEmscriptenHandlers(() => tf.setBackend('wasm'));
  return tf;
}

function registerGradients() {
  require(tfjsGradientsFile());
}

/** That bundle's file, built on first use (the portable bench of bench/bundle/ ships it built: it has no esbuild). */
export function tfjsGradientsFile(): string {
  const core = require.resolve('@tensorflow/tfjs-core/package.json');
  const version = JSON.parse(readFileSync(core, 'utf8')).version as string;
  const cache = join(dirname(dirname(dirname(core))), '.cache', 'siamese-studio', `tfjs-gradients-${version}.cjs`);
  if (!existsSync(cache)) {
    const out = buildSync({
      entryPoints: [join(dirname(core), 'dist', 'register_all_gradients.js')],
      bundle: true, format: 'cjs', platform: 'node', write: false, external: ['@tensorflow/tfjs-core'], logLevel: 'error',
    });
    mkdirSync(dirname(cache), { recursive: true });
    writeFileSync(cache, out.outputFiles[0].text);
  }
  return cache;
}

/**
 * Emscripten's Node glue (in tfjs-backend-wasm, run when the backend starts)
 * installs uncaughtException/unhandledRejection handlers that rethrow, so any
 * later error of ours is printed as one line of minified module source.
 * Starting the backend here and dropping those handlers keeps errors readable.
 */
async function withoutEmscriptenHandlers(start: () => Promise<unknown>) {
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => new Set(process.listeners(e as 'uncaughtException')));
  await start();
  events.forEach((e, i) => {
    for (const listener of process.listeners(e as 'uncaughtException')) if (!before[i].has(listener)) process.off(e, listener);
  });
}

/**
 * The `webgpu` package (Dawn) provides navigator.gpu in Node; the backend
 * registers itself at import only when navigator.gpu exists, so set it first.
 * Without a Vulkan driver there is no adapter and webgpu stays unavailable.
 */
export async function enableWebGpu(): Promise<GpuAdapterInfo | undefined> {
  if (webgpuAdapter) return webgpuAdapter;
  try {
    const { create, globals } = require('webgpu') as { create(opts: string[]): unknown; globals: Record<string, unknown> };
    Object.assign(globalThis, globals);
    const gpu = create([]) as { requestAdapter(): Promise<AdapterLike | null> };
    const adapter = await gpu.requestAdapter();
    if (!adapter) return undefined;
    Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
    require('@tensorflow/tfjs-backend-webgpu');
    webgpuAdapter = describeAdapter(adapter);
    return webgpuAdapter;
  } catch {
    return undefined; // no Dawn binary for this platform, or no Vulkan loader
  }
}

interface AdapterLike {
  info?: Partial<GpuAdapterInfo>;
  isFallbackAdapter?: boolean;
}

function describeAdapter(adapter: AdapterLike): GpuAdapterInfo {
  const info = adapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return {
    vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '',
    software: adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software/.test(text),
  };
}

/**
 * Looks for a WebGPU adapter in a child process: Vulkan and Dawn print
 * warnings straight to stderr while they probe drivers, which `auto` should
 * not show on every run. (GPUAdapterInfo's fields are getters, which
 * JSON.stringify passes over: they are copied one by one.)
 */
export function probeWebGpu(): GpuAdapterInfo | undefined {
  const script = `const { create, globals } = require('webgpu'); Object.assign(globalThis, globals);
    const pick = (i) => ({ vendor: i.vendor, architecture: i.architecture, description: i.description });
    create([]).requestAdapter().then((a) => { process.stdout.write(JSON.stringify(a ? { info: pick(a.info ?? {}), isFallbackAdapter: a.isFallbackAdapter } : null)); process.exit(0); }, () => process.exit(1));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: dirname(require.resolve('webgpu/package.json')), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  try {
    const adapter = JSON.parse(r.stdout.slice(r.stdout.indexOf('{') >= 0 ? r.stdout.indexOf('{') : 0)) as AdapterLike | null;
    return adapter ? describeAdapter(adapter) : undefined;
  } catch {
    return undefined;
  }
}
