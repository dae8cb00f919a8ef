/**
 * The linear probe (docs/semantics.md, "Evaluation"): multinomial logistic
 * regression with weight decay on frozen features, trained to convergence,
 * top-1 on the test split. One protocol, mirrored line for line by the
 * exported script's probe.py, so that both reach the same optimum:
 *
 * - features standardized with the train split's per-dimension mean and
 *   variance (x − μ) / √(σ² + ε), ε = 1e-5, both in float64;
 * - objective: mean cross-entropy + λ/2·‖W‖² (λ = 1e-2; no decay on the
 *   bias), from W = 0, b = 0 — strictly convex, one optimum;
 *   λ = 1e-3 needed twice the iterations (ill-conditioned) and scored lower
 *   on 5000/2000 raw-pixel images (82.2 against 83.6 %);
 * - full-batch L-BFGS (memory 10; first direction −g/‖g‖₂), backtracking
 *   line search (step 1, halved until the Armijo condition with c = 1e-4
 *   holds, at most 40 halvings); stops when max|g| ≤ 1e-4, when no step
 *   decreases the objective (its float precision is reached), or after 1000
 *   iterations.
 *
 * The features are cached once as standardized chunks on the backend;
 * products and softmax run there in float32, every sum over chunks and the
 * L-BFGS vectors in float64 here (float32 sums over 60k rows would blur the
 * objective's decrease near the optimum, which the line search compares).
 */
import * as tf from '@tensorflow/tfjs-core';
import { head, type Dataset, type ImageSet } from './data/dataset';
import type { TrainingProgram } from './program';

export const PROBE_PROTOCOL = {
  weightDecay: 1e-2,
  epsilon: 1e-5,
  memory: 10,
  maxIterations: 1000,
  gradientTolerance: 1e-4,
  armijo: 1e-4,
  halvings: 40,
} as const;

/** Rows per cached chunk: bounds the backend's temporaries (chunk × classes). */
const CHUNK = 8192;

export interface LabelledFeatures {
  /** [N, d] features, float32. */
  features: tf.Tensor2D;
  labels: ArrayLike<number>;
}

export interface ProbeProgress {
  iteration: number;
  maxIterations: number;
  /** The objective (mean cross-entropy + λ/2·‖W‖²) and max|g| after this iteration. */
  loss: number;
  gradient: number;
}

export type ProbeStop = 'gradient' | 'line-search' | 'iterations';

export interface LinearProbeResult {
  /** Top-1 accuracy on the test features, in [0, 1]. */
  top1: number;
  iterations: number;
  /** Objective and gradient evaluations. */
  evaluations: number;
  loss: number;
  stop: ProbeStop;
  train: number;
  test: number;
}

export interface ProbeOptions {
  /** Called after every iteration; awaited (a worker yields there). */
  onProgress?: (p: ProbeProgress) => void | Promise<void>;
  /** Fewer iterations than the protocol's (tests of the stop rule only). */
  maxIterations?: number;
}

/** Per-dimension mean and 1/√(σ² + ε) of rows [n, d], in float64 (two passes: the variance from the centred rows). */
export function standardization(rows: Float32Array, n: number, d: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const variance = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = rows[i * d + j] - mean[j];
      variance[j] += c * c;
    }
  }
  const scale = variance.map((v) => 1 / Math.sqrt(v / n + PROBE_PROTOCOL.epsilon));
  return { mean, scale };
}

interface Chunk {
  x: tf.Tensor2D;
  onehot: tf.Tensor2D;
  labels: Int32Array;
}

/** Standardized chunks of `set` on the backend (the cache every evaluation reads). */
function cacheChunks(set: LabelledFeatures, mean: tf.Tensor1D, scale: tf.Tensor1D, classes: number): Chunk[] {
  const [n] = set.features.shape;
  const chunks: Chunk[] = [];
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const size = Math.min(CHUNK, n - start);
      const labels = Int32Array.from({ length: size }, (_, i) => set.labels[start + i]);
      const x = tf.tidy(() => tf.mul(tf.sub(tf.slice(set.features, [start, 0], [size, -1]), mean), scale) as tf.Tensor2D);
      chunks.push({ x, labels, onehot: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D) });
    }
    return chunks;
  } catch (e) {
    disposeChunks(chunks);
    throw e;
  }
}

const disposeChunks = (chunks: Chunk[]) => tf.dispose(chunks.flatMap((c) => [c.x, c.onehot]));

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** W [d, C] then b [C], as float32 tensors. */
function weightsOf(w: Float64Array, d: number, classes: number): [tf.Tensor2D, tf.Tensor1D] {
  return [tf.tensor2d(Float32Array.from(w.subarray(0, d * classes)), [d, classes]), tf.tensor1d(Float32Array.from(w.subarray(d * classes)))];
}

/** The objective and its gradient at w, the sums over chunks in float64. */
async function objective(chunks: Chunk[], w: Float64Array, n: number, d: number, classes: number): Promise<{ f: number; g: Float64Array }> {
  const [W, b] = weightsOf(w, d, classes);
  const g = new Float64Array(w.length);
  let total = 0;
  try {
    for (const c of chunks) {
      // one download per chunk: [X^T r (d·C), Σ r (C), Σ cross-entropy (1)], r = softmax − onehot
      const packed = tf.tidy(() => {
        const logits = tf.add(tf.matMul(c.x, W), b);
        const crossEntropy = tf.sum(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, c.onehot), 1)));
        const r = tf.sub(tf.softmax(logits), c.onehot);
        return tf.concat([tf.reshape(tf.matMul(c.x, r, true, false), [-1]), tf.sum(r, 0), tf.reshape(crossEntropy, [1])]);
      });
      const values = (await packed.data()) as Float32Array;
      packed.dispose();
      for (let i = 0; i < g.length; i++) g[i] += values[i];
      total += values[g.length];
    }
  } finally {
    tf.dispose([W, b]);
  }
  const { weightDecay } = PROBE_PROTOCOL;
  let decay = 0;
  for (let i = 0; i < g.length; i++) {
    g[i] /= n;
    if (i < d * classes) {
      g[i] += weightDecay * w[i];
      decay += w[i] * w[i];
    }
  }
  return { f: total / n + (weightDecay / 2) * decay, g };
}

/** L-BFGS's two-loop recursion: −H·g from the stored pairs (s, y). */
function direction(g: Float64Array, pairs: Array<{ s: Float64Array; y: Float64Array }>): Float64Array {
  const q = Float64Array.from(g);
  const alphas: number[] = [];
  for (let k = pairs.length - 1; k >= 0; k--) {
    const { s, y } = pairs[k];
    const a = dot(s, q) / dot(y, s);
    alphas.push(a);
    for (let i = 0; i < q.length; i++) q[i] -= a * y[i];
  }
  const last = pairs[pairs.length - 1];
  const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.sqrt(dot(g, g));
  for (let i = 0; i < q.length; i++) q[i] *= gamma;
  pairs.forEach(({ s, y }, k) => {
    const beta = dot(y, q) / dot(y, s);
    const a = alphas[pairs.length - 1 - k];
    for (let i = 0; i < q.length; i++) q[i] += (a - beta) * s[i];
  });
  return q.map((v) => -v);
}

/** Test predictions of the linear classifier w on standardized chunks. */
async function predictions(chunks: Chunk[], w: Float64Array, d: number, classes: number): Promise<number> {
  const [W, b] = weightsOf(w, d, classes);
  let hits = 0;
  try {
    for (const c of chunks) {
      const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(c.x, W), b), 1));
      const p = (await pred.data()) as Int32Array;
      pred.dispose();
      for (let i = 0; i < p.length; i++) if (p[i] === c.labels[i]) hits++;
    }
  } finally {
    tf.dispose([W, b]);
  }
  return hits;
}

/** The probe's protocol on given features (the caller keeps and disposes them). */
export async function linearProbe(train: LabelledFeatures, test: LabelledFeatures, classes: number, options: ProbeOptions = {}): Promise<LinearProbeResult> {
  const [n, d] = train.features.shape;
  const [m, dTest] = test.features.shape;
  if (dTest !== d) throw new Error(`linear probe: train features have ${d} dimensions, test features ${dTest}`);
  if (n === 0 || m === 0) throw new Error(`linear probe: needs train and test features (got ${n} and ${m})`);
  const stats = standardization((await train.features.data()) as Float32Array, n, d);
  const mean = tf.tensor1d(Float32Array.from(stats.mean));
  const scale = tf.tensor1d(Float32Array.from(stats.scale));
  const trainChunks: Chunk[] = [];
  const testChunks: Chunk[] = [];
  try {
    trainChunks.push(...cacheChunks(train, mean, scale, classes));
    testChunks.push(...cacheChunks(test, mean, scale, classes));
    const P = PROBE_PROTOCOL;
    const maxIterations = Math.min(options.maxIterations ?? P.maxIterations, P.maxIterations);
    let w: Float64Array = new Float64Array(d * classes + classes);
    let { f, g } = await objective(trainChunks, w, n, d, classes);
    let evaluations = 1;
    const pairs: Array<{ s: Float64Array; y: Float64Array }> = [];
    let iterations = 0;
    let stop: ProbeStop = 'iterations';
    while (true) {
      if (maxAbs(g) <= P.gradientTolerance) { stop = 'gradient'; break; }
      if (iterations >= maxIterations) break;
      const p = direction(g, pairs);
      const slope = dot(g, p);
      let next: { w: Float64Array; f: number; g: Float64Array } | undefined;
      for (let k = 0, step = 1; k <= P.halvings; k++, step /= 2) {
        const wn = w.map((v, i) => v + step * p[i]);
        const at = await objective(trainChunks, wn, n, d, classes);
        evaluations++;
        if (at.f <= f + P.armijo * step * slope) { next = { w: wn, ...at }; break; }
      }
      if (!next) { stop = 'line-search'; break; }
      pairs.push({ s: next.w.map((v, i) => v - w[i]), y: next.g.map((v, i) => v - g[i]) });
      if (pairs.length > P.memory) pairs.shift();
      ({ w, f, g } = next);
      iterations++;
      await options.onProgress?.({ iteration: iterations, maxIterations, loss: f, gradient: maxAbs(g) });
    }
    const hits = await predictions(testChunks, w, d, classes);
    return { top1: hits / m, iterations, evaluations, loss: f, stop, train: n, test: m };
  } finally {
    disposeChunks([...trainChunks, ...testChunks]);
    tf.dispose([mean, scale]);
  }
}

/** How many train and test images the probe uses (default: the whole splits). */
export interface ProbeSizes {
  train?: number;
  test?: number;
}

/** The probe's splits: the first `sizes.train` / `sizes.test` images (all when absent or 0). */
export const probeSplits = (dataset: Dataset, sizes: ProbeSizes = {}): { train: ImageSet; test: ImageSet } => ({
  train: head(dataset.train, sizes.train ?? 0),
  test: head(dataset.test, sizes.test ?? 0),
});

/** The linear probe of a program's online encoder: its eval-mode features of both splits (program.encode, un-augmented), computed once. */
export async function probeEncoder(program: TrainingProgram, dataset: Dataset, sizes: ProbeSizes = {}, options: ProbeOptions = {}): Promise<LinearProbeResult> {
  const { train, test } = probeSplits(dataset, sizes);
  const shape = (s: ImageSet): [number, number, number] => [s.height, s.width, s.channels];
  const features: tf.Tensor2D[] = [];
  try {
    features.push(await program.encode(train.images, train.count, shape(train)));
    features.push(await program.encode(test.images, test.count, shape(test)));
    return await linearProbe({ features: features[0], labels: train.labels }, { features: features[1], labels: test.labels }, dataset.classes, options);
  } finally {
    tf.dispose(features);
  }
}

/** Raw pixels as features (the identity "encoder", the reference row): bytes / 255, [N, H·W·C]. */
export const pixelFeatures = (set: ImageSet): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from(set.images, (v) => v / 255), [set.count, set.height * set.width * set.channels]);

/** The probe on raw pixels, as a reference for the encoders' figures. */
export async function probePixels(dataset: Dataset, sizes: ProbeSizes = {}, options: ProbeOptions = {}): Promise<LinearProbeResult> {
  const { train, test } = probeSplits(dataset, sizes);
  const features = [pixelFeatures(train), pixelFeatures(test)];
  try {
    return await linearProbe({ features: features[0], labels: train.labels }, { features: features[1], labels: test.labels }, dataset.classes, options);
  } finally {
    tf.dispose(features);
  }
}
