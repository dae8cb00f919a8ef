import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ViewAugmentSchema } from '../../src/nodes/augment';
import { augmentViews, blurKernelSize, cropBox } from '../../src/nodes/nn/augment-ops';
import { Rng } from '../../src/nodes/nn/rng';
import { enableWebGpu, loadTfNode } from '../../src/runtime/tf/node';
import { maxAbsDiff } from '../helpers/runtime';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
let tf: typeof tfc;
beforeAll(async () => { tf = await loadTfNode(); await enableWebGpu(); await tf.setBackend('cpu'); });

const view = (over: object = {}) => ViewAugmentSchema.parse(over);
const identity = { cropScale: [1, 1], cropRatio: [1, 1], flipP: 0, jitterP: 0, grayscaleP: 0, blurP: 0, solarizeP: 0 };
const images = (n: number, c: number, seed = 3) => {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * 16 * 16 * c }, () => rng.float()), [n, 16, 16, c]);
};

describe('augmentations', () => {
  it('V views of B images at the crop size; the same seed gives the same views', async () => {
    const x = images(4, 3);
    const a = augmentViews(tf, x, 8, [view(), view({ solarizeP: 1 })], new Rng(1));
    const b = augmentViews(tf, x, 8, [view(), view({ solarizeP: 1 })], new Rng(1));
    const c = augmentViews(tf, x, 8, [view(), view({ solarizeP: 1 })], new Rng(2));
    expect(a.shape).toEqual([2, 4, 8, 8, 3]);
    expect(maxAbsDiff(await a.data(), await b.data())).toBe(0);
    expect(maxAbsDiff(await a.data(), await c.data())).toBeGreaterThan(0.1);
    const values = await a.data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
  });

  it('with every op off, a full crop is the image; flip p=1 mirrors it; solarize p=1 inverts what is ≥ 0.5', async () => {
    const x = images(2, 1);
    const same = augmentViews(tf, x, 16, [view(identity)], new Rng(1));
    expect(maxAbsDiff(await same.data(), await x.data())).toBeLessThan(1e-4);
    const flipped = augmentViews(tf, x, 16, [view({ ...identity, flipP: 1 })], new Rng(1));
    expect(maxAbsDiff(await flipped.data(), await tf.reverse(x, 2).data())).toBeLessThan(1e-4);
    const sol = augmentViews(tf, x, 16, [view({ ...identity, solarizeP: 1 })], new Rng(1));
    const want = tf.where(tf.greaterEqual(x, 0.5), tf.sub(1, x), x);
    expect(maxAbsDiff(await sol.data(), await want.data())).toBeLessThan(1e-4);
  });

  it('grayscale p=1 makes the three channels equal; one-channel images skip colour ops cleanly', async () => {
    const rgb = augmentViews(tf, images(2, 3), 16, [view({ ...identity, grayscaleP: 1 })], new Rng(1));
    const [r, g, b] = tf.split(rgb, 3, -1);
    expect(maxAbsDiff(await r.data(), await g.data())).toBeLessThan(1e-6);
    expect(maxAbsDiff(await r.data(), await b.data())).toBeLessThan(1e-6);
    const gray = augmentViews(tf, images(2, 1), 16, [view({ ...identity, grayscaleP: 1, jitterP: 1, saturation: 0.9, hue: 0.4, brightness: 0, contrast: 0 })], new Rng(1));
    expect(gray.shape).toEqual([1, 2, 16, 16, 1]);
    expect(maxAbsDiff(await gray.data(), await images(2, 1).data())).toBeLessThan(1e-4);
  });

  it('blur keeps the mean of a flat image and smooths an edge', async () => {
    const flat = tf.fill([1, 16, 16, 1], 0.5);
    const blurred = augmentViews(tf, flat, 16, [view({ ...identity, blurP: 1, blurSigma: [1, 1] })], new Rng(1));
    const centre = (await blurred.data())[8 * 16 + 8];
    expect(centre).toBeCloseTo(0.5, 5);
    expect(blurKernelSize(28)).toBe(3);
    expect(blurKernelSize(224)).toBe(23);
  });

  it('random resized crops follow torchvision: area within the scale range, aspect within the ratio range', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 500; i++) {
      const [y1, x1, y2, x2] = cropBox(rng, 100, 100, [0.2, 0.6], [0.75, 4 / 3], false);
      const h = (y2 - y1) * 99 + 1;
      const w = (x2 - x1) * 99 + 1;
      expect(h * w).toBeGreaterThanOrEqual(0.2 * 10000 * 0.9);
      expect(h * w).toBeLessThanOrEqual(0.6 * 10000 * 1.1);
      expect(w / h).toBeGreaterThan(0.7);
      expect(w / h).toBeLessThan(1.4);
    }
  });

  it.each(['wasm', 'webgpu'])('every op gives the same views on %s as on cpu', async (backend) => {
    const views = [view({ jitterP: 1, grayscaleP: 0.5, blurP: 0.7, solarizeP: 0.5 }), view({ flipP: 1, cropScale: [0.08, 1] })];
    const run = async (name: string) => {
      expect(await tf.setBackend(name)).toBe(true);
      const out = augmentViews(tf, images(8, 3), 10, views, new Rng(4));
      const values = await out.data();
      out.dispose();
      return values;
    };
    const want = await run('cpu');
    expect(maxAbsDiff(await run(backend), want)).toBeLessThan(1e-4);
    await tf.setBackend('cpu');
  }, 120_000);
});
