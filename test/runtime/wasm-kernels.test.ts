/**
 * The wasm kernels of src/runtime/kernels (Conv2DBackpropFilter, which tfjs
 * lacks; Conv2DBackpropInput, BatchMatMul, TopK and Mean over a middle axis,
 * which it ships slow; some of them our own C, built to wasm)
 * against the cpu backend's, on random shapes with strides, paddings and odd
 * sizes.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { tfjsWasmKernel } from '../../src/runtime/kernels/wasm-compose';
import { loadTfNode } from '../../src/runtime/tf/node';

let tf: typeof tfc;
beforeAll(async () => { tf = await loadTfNode(); });

/** Deterministic test values in [−scale, scale]: a sine of the index, shifted by the seed. */
const wave = (len: number, seed: number, scale = 2) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * scale);

async function filterGrad(backend: string, x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], filterShape: [number, number, number, number], stride: number, pad: 'same' | 'valid' | number) {
  await tf.setBackend(backend);
  const out = tf.tidy(() => backpropFilter(tf.tensor4d(x, xShape as never), tf.tensor4d(dy, dyShape as never), filterShape, stride, pad));
  const data = await out.data();
  out.dispose();
  return { data, shape: out.shape };
}

/** The filter gradient as training computes it: the gradient of conv2d with respect to its filter. */
const backpropFilter = (x: tfc.Tensor4D, dy: tfc.Tensor4D, filterShape: [number, number, number, number], stride: number, pad: 'same' | 'valid' | number) =>
  tf.grad((f: tfc.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tfc.Tensor4D, stride, pad), dy)))(tf.zeros(filterShape));

describe('wasm Conv2DBackpropFilter', () => {
  it('matches cpu within 1e-4 on random shapes, strides and paddings', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 3, max: 13 }), w: fc.integer({ min: 3, max: 13 }),
        // ci % 4 = 0 with co % 8 = 0 runs our wasm kernel, thin inputs its patches path, the rest XNNPACK.
        ci: fc.constantFrom(1, 2, 3, 4, 5, 8), co: fc.constantFrom(1, 3, 6, 8, 16), k: fc.constantFrom(1, 3, 5),
        stride: fc.constantFrom(1, 2, 3), pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1, 2),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }).filter((c) => c.k <= c.h && c.k <= c.w),
      async ({ n, h, w, ci, co, k, stride, pad, seed }) => {
        const filterShape: [number, number, number, number] = [k, k, ci, co];
        await tf.setBackend('cpu');
        const probe = tf.conv2d(tf.zeros([n, h, w, ci]) as tfc.Tensor4D, tf.zeros(filterShape) as tfc.Tensor4D, stride, pad);
        const dyShape = probe.shape;
        probe.dispose();
        const x = wave(n * h * w * ci, seed);
        const dy = wave(dyShape.reduce((a, b) => a * b, 1), seed + 1);
        const want = await filterGrad('cpu', x, [n, h, w, ci], dy, dyShape, filterShape, stride, pad);
        const got = await filterGrad('wasm', x, [n, h, w, ci], dy, dyShape, filterShape, stride, pad);
        expect(got.shape).toEqual(filterShape);
        const scale = Math.max(1, ...Array.from(want.data, Math.abs));
        const worst = Math.max(...Array.from(got.data, (v, i) => Math.abs(v - want.data[i])));
        expect(worst / scale).toBeLessThan(1e-4);
      }), { numRuns: 80 });
  });

  it('Conv2DBackpropInput matches cpu within 1e-4 on random shapes, strides and paddings', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 3, max: 13 }), w: fc.integer({ min: 3, max: 13 }),
        ci: fc.integer({ min: 1, max: 5 }), co: fc.integer({ min: 1, max: 6 }), k: fc.constantFrom(1, 2, 3, 5),
        stride: fc.constantFrom(1, 2, 3), pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1, 2),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }).filter((c) => c.k <= c.h && c.k <= c.w),
      async ({ n, h, w, ci, co, k, stride, pad, seed }) => {
        const x = wave(n * h * w * ci, seed);
        const f = wave(k * k * ci * co, seed + 1);
        const grad = async (backend: string) => {
          await tf.setBackend(backend);
          const out = tf.tidy(() => tf.grad((xx: tfc.Tensor) => {
            const y = tf.conv2d(xx as tfc.Tensor4D, tf.tensor4d(f, [k, k, ci, co]), stride, pad);
            return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
          })(tf.tensor4d(x, [n, h, w, ci])));
          const data = await out.data();
          out.dispose();
          return data;
        };
        const want = await grad('cpu');
        const got = await grad('wasm');
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
        expect(worst / scale).toBeLessThan(1e-4);
      }), { numRuns: 150 });
  });

  it('BatchMatMul with transposed operands matches cpu within 1e-4, gradients included', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        m: fc.integer({ min: 1, max: 70 }), k: fc.integer({ min: 1, max: 70 }), n: fc.integer({ min: 1, max: 70 }),
        ta: fc.boolean(), tb: fc.boolean(), batch: fc.constantFrom(0, 1, 3), seed: fc.integer({ min: 0, max: 1e6 }),
      }),
      async ({ m, k, n, ta, tb, batch, seed }) => {
        const lead = batch === 0 ? [] : [batch];
        const aShape = [...lead, ...(ta ? [k, m] : [m, k])];
        const bShape = [...lead, ...(tb ? [n, k] : [k, n])];
        const size = (shape: number[]) => shape.reduce((p, q) => p * q, 1);
        const [a, b] = [wave(size(aShape), seed), wave(size(bShape), seed + 1)];
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          const outs = tf.tidy(() => {
            const [ta_, tb_] = [tf.tensor(a, aShape), tf.tensor(b, bShape)];
            const y = tf.matMul(ta_, tb_, ta, tb);
            const weights = tf.sin(tf.reshape(tf.range(0, y.size), y.shape));
            const grads = tf.grads((p: tfc.Tensor, q: tfc.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), weights)))([ta_, tb_]);
            return [y, ...grads];
          });
          const data = await Promise.all(outs.map((t) => t.data()));
          const shapes = outs.map((t) => t.shape);
          tf.dispose(outs);
          return { data, shapes };
        };
        const want = await run('cpu');
        const got = await run('wasm');
        expect(got.shapes).toEqual(want.shapes);
        for (let i = 0; i < want.data.length; i++) {
          const scale = Math.max(1, ...Array.from(want.data[i], Math.abs));
          expect(Math.max(0, ...Array.from(got.data[i], (v, j) => Math.abs(v - want.data[i][j]))) / scale).toBeLessThan(1e-4);
        }
      }), { numRuns: 80 });
  });

  it('batched BatchMatMul: bit-identical to tfjs\'s own (its blocked rounding, which PyTorch parity needs)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { readSync(id: object): Float32Array; disposeData(id: object): void };
    await fc.assert(fc.asyncProperty(
      fc.record({ batch: fc.integer({ min: 2, max: 5 }), m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 200 }), n: fc.integer({ min: 1, max: 70 }), seed: fc.integer({ min: 0, max: 1e6 }) }),
      async ({ batch, m, k, n, seed }) => {
        const a = tf.tensor(wave(batch * m * k, seed, 3), [batch, m, k]);
        const b = tf.tensor(wave(batch * k * n, seed + 1, 3), [batch, k, n]);
        const got = tf.matMul(a, b);
        expect(got.shape).toEqual([batch, m, n]);
        const theirs = tfjsWasmKernel('BatchMatMul')({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA: false, transposeB: false } }) as tfc.TensorInfo;
        expect(Array.from(await got.data())).toEqual(Array.from(backend.readSync(theirs.dataId)));
        backend.disposeData(theirs.dataId);
        tf.dispose([a, b, got]);
      }), { numRuns: 60 });
  });

  it('TopK matches cpu exactly (values, and indices of ties), without sorting whole rows', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ rows: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 300 }), frac: fc.double({ min: 0, max: 1, noNaN: true }), levels: fc.constantFrom(3, 50, 1e6), int: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }) }),
      async ({ rows, n, frac, levels, int, seed }) => {
        const k = Math.round(frac * n);
        // Few levels make many ties: their order (lower index first) is part of the contract.
        const x = Array.from({ length: rows * n }, (_, i) => Math.floor(((Math.sin(i * 12.9898 + seed * 78.233) + 1) / 2) * levels) - levels / 2);
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          const { values, indices } = tf.topk(tf.tensor(x, [rows, n], int ? 'int32' : 'float32'), k);
          const out = { values: Array.from(await values.data()), indices: Array.from(await indices.data()), dtype: values.dtype };
          tf.dispose([values, indices]);
          return out;
        };
        expect(await run('wasm')).toEqual(await run('cpu'));
      }), { numRuns: 120 });
  });

  it('Identity shares memory: a clone is the same wasm buffer, freed once both are disposed', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { getMemoryOffset(id: object): number; numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.range(0, 1000, 1, 'float32');
    const y = tf.clone(x);
    expect(backend.getMemoryOffset(y.dataId)).toBe(backend.getMemoryOffset(x.dataId));
    x.dispose();
    expect(Array.from(await y.data()).slice(0, 3)).toEqual([0, 1, 2]);
    y.dispose();
    expect(backend.numDataIds()).toBe(before);
  });

  it('Mean over a middle axis: bit-identical to tfjs\'s own (transpose, then reduce the last axis), and cpu\'s within 1e-4', async () => {
    await tf.setBackend('wasm');
    await fc.assert(fc.asyncProperty(
      // Inner sizes past 16 run the kernel's SIMD blocks, then its column remainder.
      fc.record({ shape: fc.oneof(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constant(1), fc.integer({ min: 16, max: 70 }))), long: fc.integer({ min: 1, max: 3000 }), keepDims: fc.boolean(), offset: fc.double({ min: -100, max: 100, noNaN: true }), seed: fc.integer({ min: 0, max: 1e6 }) }),
      async ({ shape, long, keepDims, offset, seed }) => {
        const axis = seed % (shape.length - 1); // any axis but the last
        const dims = shape.map((d, i) => (i === axis ? long : d));
        const x = tf.tensor(Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i * 12.9898 + seed) * 3 + offset), dims);
        const perm = [...dims.keys()].filter((i) => i !== axis).concat(axis);
        const want = tf.tidy(() => tf.reshape(tf.mean(tf.transpose(x, perm), -1), keepDims ? dims.map((d, i) => (i === axis ? 1 : d)) : dims.filter((_, i) => i !== axis)));
        const got = tf.mean(x, axis, keepDims);
        expect(got.shape).toEqual(want.shape);
        const values = Array.from(await got.data());
        expect(values).toEqual(Array.from(await want.data()));
        const data = await x.data();
        tf.dispose([x, want, got]);
        await tf.setBackend('cpu');
        const onCpu = tf.tidy(() => tf.mean(tf.tensor(data, dims), axis, keepDims));
        const cpu = Array.from(await onCpu.data());
        onCpu.dispose();
        await tf.setBackend('wasm');
        const scale = Math.max(1, ...cpu.map(Math.abs));
        expect(Math.max(...values.map((v, i) => Math.abs(v - cpu[i]))) / scale).toBeLessThan(1e-4);
      }), { numRuns: 80 });
  });

  it('a failing call of our kernels throws on the calling thread, and the threads serve the next call', async () => {
    await tf.setBackend('wasm');
    const { runOwnWasm, ownWasmThreads } = await import('../../src/runtime/kernels/own-wasm');
    expect(ownWasmThreads(tf.backend())).toBeGreaterThan(1);
    // Offsets past the end of the memory: every thread's part traps.
    expect(() => runOwnWasm(tf.backend(), 'mean_middle_axis', [-256, -128, 2, 3, 32])).toThrow(/out of bounds/);
    const x = tf.tensor(Float32Array.from({ length: 2 * 3 * 32 }, (_, i) => i), [2, 3, 32]);
    const m = tf.mean(x, 1);
    expect(Array.from(await m.data()).slice(0, 3)).toEqual([32, 33, 34]);
    tf.dispose([x, m]);
  });

  it('our C kernels\' committed wasm is what their source builds to', () => {
    const r = spawnSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      // The filter gradient's three paths (XNNPACK, ours, ours over patches); the input gradient.
      tf.dispose(tf.tidy(() => backpropFilter(tf.ones([2, 8, 8, 3]) as tfc.Tensor4D, tf.ones([2, 4, 4, 4]) as tfc.Tensor4D, [3, 3, 3, 4], 2, 1)));
      tf.dispose(tf.tidy(() => backpropFilter(tf.ones([2, 8, 8, 4]) as tfc.Tensor4D, tf.ones([2, 4, 4, 8]) as tfc.Tensor4D, [3, 3, 4, 8], 2, 1)));
      tf.dispose(tf.tidy(() => backpropFilter(tf.ones([2, 8, 8, 1]) as tfc.Tensor4D, tf.ones([2, 4, 4, 8]) as tfc.Tensor4D, [3, 3, 1, 8], 2, 1)));
      tf.dispose(tf.tidy(() => tf.grad((x: tfc.Tensor) => tf.sum(tf.conv2d(x as tfc.Tensor4D, tf.ones([3, 3, 4, 8]) as tfc.Tensor4D, 2, 1)))(tf.ones([2, 8, 8, 4]))));
      tf.dispose(tf.tidy(() => tf.matMul(tf.ones([5, 3]), tf.ones([4, 3]), false, true)));
      tf.dispose(tf.tidy(() => Object.values(tf.topk(tf.ones([3, 40]), 7))));
      tf.dispose(tf.tidy(() => tf.mean(tf.ones([3, 40, 2]), 1)));
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(buffers);
  });
});
