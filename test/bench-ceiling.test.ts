/**
 * The bench's ceiling rows (bench/ceiling.ts, bench/profile.ts): the wasm
 * SIMD peak kernel computes what its recurrence says, on every thread, and a
 * step's convolution arithmetic is counted as the encoder's closed form gives it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { wasmSimdPeak } from '../bench/ceiling';
import { profileStep } from '../bench/profile';
import { ownWasmThreads, runOwnWasm } from '../src/runtime/kernels/own-wasm';
import { heapOffset } from '../src/runtime/kernels/wasm-compose';
import { compile } from '../src/runtime/program';
import { template } from './helpers/docs';
import { syntheticDataset, tfOn } from './helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('wasm'); });

describe('the bench ceiling', () => {
  it('simd_peak runs its twelve chains a ← a·0.999 + 0.001 the given number of times, on each thread, in float32', async () => {
    const threads = ownWasmThreads(tf.backend());
    expect(threads).toBeGreaterThan(1);
    const f = Math.fround;
    const chains = Array.from({ length: 12 }, (_, j) => f(j / 10));
    for (let i = 0; i < 37; i++) chains.forEach((a, j) => { chains[j] = f(f(a * f(0.999)) + f(0.001)); });
    const pair = (a: number, b: number) => f(a + b);
    const four = (k: number) => pair(pair(chains[k], chains[k + 1]), pair(chains[k + 2], chains[k + 3]));
    const expected = pair(pair(four(0), four(4)), four(8));

    const out = tf.fill([4 * threads], -1);
    runOwnWasm(tf.backend(), 'simd_peak', [heapOffset(tf.backend(), out), 37]);
    expect(Array.from(await out.data())).toEqual(Array(4 * threads).fill(expected));
    out.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('measures a peak on every thread, leaving no tensor behind', () => {
    const before = tf.memory().numTensors;
    const peak = wasmSimdPeak(tf);
    expect(peak.threads).toBe(ownWasmThreads(tf.backend()));
    expect(peak.gflops).toBeGreaterThan(0.1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("counts a SimSiam step's convolution arithmetic as its encoder's closed form: forward, filter gradients, input gradients but the first layer's", async () => {
    const doc = template('simsiam');
    const encoder = doc.nodes.find((n) => n.id === 'enc')!.params as { widths: number[]; strides: number[] };
    // 'same' 3×3 convolutions from a 28×28×1 image; per image, each layer's output pixels × 9·ci multiply-adds.
    let [size, ci, forward, inputGrads] = [28, 1, 0, 0];
    encoder.widths.forEach((co, layer) => {
      size = Math.ceil(size / encoder.strides[layer]);
      const macs = size * size * co * 9 * ci;
      forward += macs;
      if (layer > 0) inputGrads += macs; // the image needs no gradient
      ci = co;
    });
    const batch = 2;
    const program = compile(doc, { dataset: syntheticDataset(), batchSize: batch, steps: 10 });
    program.init(1);
    await program.step();
    const profile = await profileStep(tf, program);
    program.dispose();
    // two views of each image, a multiply and an add per multiply-add
    expect(profile.convFlops).toBe(2 * batch * 2 * (2 * forward + inputGrads));
    expect(forward).toBe(28 * 28 * 32 * 9 + 14 * 14 * 64 * 9 * 32 + 7 * 7 * 128 * 9 * 64 + 4 * 4 * 256 * 9 * 128); // the template's encoder, by hand
    expect(profile.convMs).toBeGreaterThan(0);
    expect(profile.kernels.map((k) => k.name)).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']));
  }, 120_000);
});
