/**
 * Seeded determinism, agreement across backends, and no tensor leaks. Node's
 * WebGPU uses Chromium's SwiftShader Vulkan driver here (no GPU), through the
 * `webgpu` package; it needs Debian's chromium and libvulkan1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { compile } from '../../src/runtime/program';
import { enableWebGpu, loadTfNode, probeWebGpu, webgpuAdapter } from '../../src/runtime/tf/node';
import { selectBackend } from '../../src/runtime/tf/backends';
import { syntheticDataset, tiny } from '../helpers/runtime';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.VK_ICD_FILENAMES ??= SWIFTSHADER;

let tf: typeof tfc;
beforeAll(async () => { tf = await loadTfNode(); await enableWebGpu(); });
const data = syntheticDataset();

async function losses(backend: string, name: string, steps = 3) {
  expect(await tf.setBackend(backend)).toBe(true);
  const program = compile(tiny(name), { dataset: data, batchSize: 8, steps: 10 });
  program.init(5);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((await program.step()).loss);
  program.dispose();
  return out;
}

describe.each(['simsiam', 'byol'] as const)('%s', (name) => {
  it('cpu: the same seed gives identical losses twice', async () => {
    expect(await losses('cpu', name)).toEqual(await losses('cpu', name));
  });

  it('wasm agrees with cpu within 1e-4 over 3 steps', async () => {
    const [cpu, wasm] = [await losses('cpu', name), await losses('wasm', name)];
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i]), `step ${i + 1}: wasm ${l}, cpu ${cpu[i]}`).toBeLessThan(1e-4));
  });

  it('webgpu (Node, software adapter) agrees with cpu within 1e-3 over 3 steps', async () => {
    if (!webgpuAdapter) throw new Error(`no WebGPU adapter: install chromium and libvulkan1 (apt-get install -y chromium libvulkan1); VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`);
    const [cpu, gpu] = [await losses('cpu', name), await losses('webgpu', name)];
    gpu.forEach((l, i) => expect(Math.abs(l - cpu[i]), `step ${i + 1}: webgpu ${l}, cpu ${cpu[i]}`).toBeLessThan(1e-3));
  }, 300_000);
});

/**
 * The decorrelation losses on webgpu (the negatives' run in the browser on
 * webgpu: test/e2e/negatives-webgpu.test.ts): the cross-correlation, variance
 * and covariance terms. Their losses are O(1)–O(10) (VICReg's 25·variance
 * terms), so float32's ≈1e-7 relative rounding over a few thousand terms
 * stays far under 1e-3 of difference; a wrong kernel moves it by more.
 */
describe.each(['barlow-twins', 'vicreg'])('%s (tiny)', (name) => {
  it('webgpu (Node, software adapter) agrees with cpu within 1e-3 over 3 steps', async () => {
    if (!webgpuAdapter) throw new Error(`no WebGPU adapter: install chromium and libvulkan1 (apt-get install -y chromium libvulkan1); VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`);
    const [cpu, gpu] = [await losses('cpu', name), await losses('webgpu', name)];
    gpu.forEach((l, i) => expect(Math.abs(l - cpu[i]), `step ${i + 1}: webgpu ${l}, cpu ${cpu[i]}`).toBeLessThan(1e-3));
  }, 300_000);
});

describe('tensors', () => {
  it('the tensor count is the same after step 3 and step 20 (wasm), and dispose frees everything', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const program = compile(tiny('byol'), { dataset: data, batchSize: 8, steps: 20 });
    program.init(1);
    const counts: number[] = [];
    for (let i = 1; i <= 20; i++) {
      await program.step();
      counts.push(tf.memory().numTensors);
    }
    expect(counts[19]).toBe(counts[2]);
    program.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('backend choice', () => {
  it('the child-process probe names the adapter, and sees SwiftShader as software (auto passes it over)', () => {
    expect(probeWebGpu()).toEqual({ vendor: 'google', architecture: 'swiftshader', description: expect.stringMatching(/SwiftShader/), software: true });
  });

  it('auto passes over avoided backends and says why; a forced one that is missing is an error', async () => {
    const chosen = await selectBackend(tf, 'auto', { webgpu: 'software adapter' });
    expect(chosen).toEqual({ name: 'wasm', reason: 'best available (webgpu: software adapter; webgl: unavailable)' });
    await expect(selectBackend(tf, 'webgl')).rejects.toThrow(/backend "webgl" is not available here; available: /);
  });
});

describe('wasm in Node', () => {
  it('runs XNNPACK and our kernels on every logical core (tfjs alone: one thread in Node), and a process using them exits', async () => {
    const os = await import('node:os');
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(getThreadsCount()).toBe(Math.min(8, os.availableParallelism()));
    // Our own wasm kernels split each call over as many threads.
    const { ownWasmThreads } = await import('../../src/runtime/kernels/own-wasm');
    expect(ownWasmThreads(tf.backend())).toBe(Math.min(8, os.availableParallelism()));
    // The pool's workers are unref'd: a script that trained on wasm ends by itself.
    const { spawnSync } = await import('node:child_process');
    const script = "import('./src/runtime/tf/node.ts').then(async ({ loadTfNode }) => { const tf = await loadTfNode(); const y = tf.conv2d(tf.ones([2, 8, 8, 3]), tf.ones([3, 3, 3, 4]), 1, 'same'); console.log(tf.getBackend(), (await y.data())[0]); })";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIAMESE_WASM_THREADS: '2' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('wasm 12');
  });

  it('runs our kernels on tfjs\'s single-threaded build too (its memory is not shared)', async () => {
    const { spawnSync } = await import('node:child_process');
    // With x and dy all ones, each tap's filter gradient counts the output pixels it reaches: 2 images × 8×8, 'same'.
    const script = "import('./src/runtime/tf/node.ts').then(async ({ loadTfNode }) => { const tf = await loadTfNode(); const { ownWasmThreads } = await import('./src/runtime/kernels/own-wasm.ts');"
      + " const g = tf.grad((f) => tf.sum(tf.conv2d(tf.ones([2, 8, 8, 4]), f, 1, 'same')))(tf.zeros([3, 3, 4, 8]));"
      + " const taps = Array.from(await tf.reshape(tf.slice(g, [0, 0, 0, 0], [3, 3, 1, 1]), [9]).data());"
      + " const shared = tf.backend().wasm.asm?.memory?.buffer instanceof SharedArrayBuffer;"
      + " console.log(ownWasmThreads(tf.backend()), shared, taps.join(' ')); })";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIAMESE_WASM_THREADS: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1 false 98 112 98 112 128 112 98 112 98');
  });
});
