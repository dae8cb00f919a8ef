/**
 * Augmentations as batched tensor ops, each sample with its own random
 * draws (from a seeded stream, so every backend sees the same ones), each op
 * with its own per-view probability. Order within a view: random resized crop
 * with flip, colour jitter (brightness, contrast, saturation, hue — a fixed
 * order, where torchvision shuffles it), grayscale, Gaussian blur, solarize.
 * One-channel images skip saturation, hue and grayscale.
 */
import type { Tensor, Tf } from '../build';
import type { Rng } from './rng';

export interface ViewSettings {
  cropScale: [number, number];
  cropRatio: [number, number];
  flipP: number;
  jitterP: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  grayscaleP: number;
  blurP: number;
  blurSigma: [number, number];
  solarizeP: number;
}

/** One batch [B, H, W, C] in [0, 1] → the views [V, B, size, size, C] (concatenated, then reshaped: no rank-5 op). */
export function augmentViews(tf: Tf, images: Tensor, size: number, views: readonly ViewSettings[], rng: Rng): Tensor {
  return tf.tidy(() => {
    const all = tf.concat(views.map((view) => augmentView(tf, images, size, view, rng)));
    return tf.reshape(all, [views.length, images.shape[0], size, size, images.shape[3] as number]);
  });
}

function augmentView(tf: Tf, images: Tensor, size: number, v: ViewSettings, rng: Rng): Tensor {
  const [b, h, w, c] = images.shape;
  const boxes = new Float32Array(b * 4);
  for (let i = 0; i < b; i++) boxes.set(cropBox(rng, h, w, v.cropScale, v.cropRatio, rng.bernoulli(v.flipP)), i * 4);
  let x: Tensor = tf.image.cropAndResize(images as never, tf.tensor2d(boxes, [b, 4]), tf.range(0, b, 1, 'int32') as never, [size, size], 'bilinear');

  const jitter = Array.from({ length: b }, () => rng.bernoulli(v.jitterP));
  const factor = (amount: number, on: boolean[]) => on.map((yes) => (yes ? rng.uniform(Math.max(0, 1 - amount), 1 + amount) : 1));
  const brightness = factor(v.brightness, jitter);
  const contrast = factor(v.contrast, jitter);
  const color = c === 3;
  const saturation = color ? factor(v.saturation, jitter) : [];
  const hue = color ? jitter.map((yes) => (yes ? rng.uniform(-v.hue, v.hue) : 0)) : [];
  const gray = color ? Array.from({ length: b }, () => rng.bernoulli(v.grayscaleP)) : [];
  const blur = Array.from({ length: b }, () => (rng.bernoulli(v.blurP) ? rng.uniform(v.blurSigma[0], v.blurSigma[1]) : 0));
  const solarize = Array.from({ length: b }, () => rng.bernoulli(v.solarizeP));

  const perSample = (values: number[]) => tf.tensor4d(values, [b, 1, 1, 1]);
  const clip = (t: Tensor) => tf.clipByValue(t, 0, 1);
  if (jitter.some(Boolean)) {
    if (v.brightness > 0) x = clip(tf.mul(x, perSample(brightness)));
    if (v.contrast > 0) {
      const mean = tf.mean(grayscale(tf, x), [1, 2, 3], true);
      x = clip(tf.add(tf.mul(tf.sub(x, mean), perSample(contrast)), mean));
    }
    if (color && v.saturation > 0) {
      const g = grayscale(tf, x);
      x = clip(tf.add(tf.mul(tf.sub(x, g), perSample(saturation)), g));
    }
    if (color && v.hue > 0) x = clip(rotateHue(tf, x, hue));
  }
  if (gray.some(Boolean)) x = tf.where(tf.cast(perSample(gray.map(Number)), 'bool') as never, tf.tile(grayscale(tf, x), [1, 1, 1, 3]), x);
  if (blur.some((s) => s > 0)) x = gaussianBlur(tf, x, blur);
  if (solarize.some(Boolean)) {
    const flip = tf.logicalAnd(tf.cast(perSample(solarize.map(Number)), 'bool'), tf.greaterEqual(x, 0.5));
    x = tf.where(flip, tf.sub(1, x), x);
  }
  return x;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries of an area
 * fraction in `scale` and a log-uniform aspect ratio in `ratio`, else a
 * central crop. Returns the box [y1, x1, y2, x2] in cropAndResize's
 * normalized coordinates; x1 > x2 flips it left-right.
 */
export function cropBox(rng: Rng, h: number, w: number, scale: [number, number], ratio: [number, number], flip: boolean): number[] {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  let top = 0;
  let left = 0;
  let ch = h;
  let cw = w;
  let found = false;
  for (let attempt = 0; attempt < 10 && !found; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const tw = Math.round(Math.sqrt(target * aspect));
    const th = Math.round(Math.sqrt(target / aspect));
    if (tw > 0 && tw <= w && th > 0 && th <= h) {
      top = rng.int(h - th + 1);
      left = rng.int(w - tw + 1);
      ch = th;
      cw = tw;
      found = true;
    }
  }
  if (!found) {
    const inRatio = w / h;
    if (inRatio < ratio[0]) [cw, ch] = [w, Math.round(w / ratio[0])];
    else if (inRatio > ratio[1]) [ch, cw] = [h, Math.round(h * ratio[1])];
    top = Math.floor((h - ch) / 2);
    left = Math.floor((w - cw) / 2);
  }
  // tfjs 4.22 resamples wrongly at exact box edges: wasm when an edge is 1
  // (rows snap to whole pixels), webgpu when a flipped box ends at 0 (the last
  // column reads as outside the image). A hair inside keeps every backend alike.
  const inside = (p: number) => Math.min(Math.max(p, EDGE), 1 - EDGE);
  const ny = (p: number) => (h > 1 ? inside(p / (h - 1)) : 0);
  const nx = (p: number) => (w > 1 ? inside(p / (w - 1)) : 0);
  const [x1, x2] = [nx(left), nx(left + cw - 1)];
  return [ny(top), flip ? x2 : x1, ny(top + ch - 1), flip ? x1 : x2];
}

const EDGE = 2 ** -20;

/** ITU-R BT.601 luma, as torchvision's rgb_to_grayscale; one channel stays as it is. */
export function grayscale(tf: Tf, x: Tensor): Tensor {
  if (x.shape[3] === 1) return x;
  return tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
}

/** Hue rotation by a fraction of a turn per sample, as a rotation about the gray axis in YIQ space. */
function rotateHue(tf: Tf, x: Tensor, turns: number[]): Tensor {
  const [b, h, w] = x.shape;
  const toYiq = [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]];
  const fromYiq = [[1, 0.956, 0.621], [1, -0.272, -0.647], [1, -1.106, 1.703]];
  const mats = new Float32Array(b * 9);
  turns.forEach((t, i) => {
    const cos = Math.cos(2 * Math.PI * t);
    const sin = Math.sin(2 * Math.PI * t);
    const rot = [[1, 0, 0], [0, cos, -sin], [0, sin, cos]];
    const m = mul3(fromYiq, mul3(rot, toYiq));
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) mats[i * 9 + k * 3 + r] = m[r][k]; // transposed: pixels are rows
  });
  const y = tf.matMul(tf.reshape(x, [b, h * w, 3]) as never, tf.tensor3d(mats, [b, 3, 3]));
  return tf.reshape(y, x.shape);
}

const mul3 = (a: number[][], b: number[][]) => a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));

/** Kernel size for a side: about a tenth of it, odd, at least 3 (BYOL: 23 for 224). */
export const blurKernelSize = (side: number) => Math.max(3, 2 * Math.round(side / 20) + 1);

/**
 * Separable Gaussian blur with a σ per sample (0: untouched), as one
 * depthwise convolution over the batch folded into channels; zero padding.
 */
function gaussianBlur(tf: Tf, x: Tensor, sigmas: number[]): Tensor {
  const [b, h, w, c] = x.shape;
  const k = blurKernelSize(Math.min(h, w));
  const taps = new Float32Array(k * b * c);
  sigmas.forEach((sigma, i) => {
    const kernel = gaussian1d(k, sigma);
    for (let ch = 0; ch < c; ch++) for (let t = 0; t < k; t++) taps[t * b * c + i * c + ch] = kernel[t];
  });
  const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, b * c]);
  const horizontal = tf.depthwiseConv2d(folded as never, tf.tensor4d(taps, [1, k, b * c, 1]), 1, 'same');
  const both = tf.depthwiseConv2d(horizontal, tf.tensor4d(taps, [k, 1, b * c, 1]), 1, 'same');
  return tf.transpose(tf.reshape(both, [h, w, b, c]), [2, 0, 1, 3]);
}

function gaussian1d(k: number, sigma: number): Float32Array {
  const out = new Float32Array(k);
  const mid = (k - 1) / 2;
  if (sigma <= 0) {
    out[mid] = 1;
    return out;
  }
  let total = 0;
  for (let i = 0; i < k; i++) total += out[i] = Math.exp(-((i - mid) ** 2) / (2 * sigma * sigma));
  return out.map((v) => v / total);
}
