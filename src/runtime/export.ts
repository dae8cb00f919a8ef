/**
 * Weights out of a training program: the online encoder in PyTorch's layout
 * and names (conv [out, in, kh, kw], linear [out, in]), as safetensors; and
 * the full training state for checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './safetensors';
import type { TrainingProgram } from './program';
import { encoderModelFiles, type EncoderWeights, type ModelFiles } from './tfjs-model';

/** Permutes the axes of a row-major array (pure JS: works whatever the backend). */
export function permute(data: Float32Array, shape: number[], perm: number[]): NamedArray {
  const outShape = perm.map((p) => shape[p]);
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const index = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    for (let i = outShape.length - 1; i >= 0; i--) {
      index[perm[i]] = rest % outShape[i];
      rest = Math.floor(rest / outShape[i]);
    }
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += index[i] * stride[i];
    out[o] = data[src];
  }
  return { data: out, shape: outShape };
}

/** tfjs layout → PyTorch layout: conv [kh, kw, in, out] → [out, in, kh, kw]; linear [in, out] → [out, in]. */
export const toTorchLayout = (data: Float32Array, shape: number[]): NamedArray =>
  shape.length === 4 ? permute(data, shape, [3, 2, 0, 1]) : shape.length === 2 ? permute(data, shape, [1, 0]) : { data, shape };

/** PyTorch layout → tfjs layout (the inverse of toTorchLayout). */
export const fromTorchLayout = (data: Float32Array, shape: number[]): NamedArray =>
  shape.length === 4 ? permute(data, shape, [2, 3, 1, 0]) : shape.length === 2 ? permute(data, shape, [1, 0]) : { data, shape };

/** The online encoder's parameters and buffers, PyTorch names and layout. */
export async function encoderTensors(program: TrainingProgram): Promise<Record<string, NamedArray>> {
  const m = program.encoderModule;
  const out: Record<string, NamedArray> = {};
  const entries = [...[...m.params].map(([name, p]) => [name, p.variable] as const), ...m.buffers];
  for (const [name, v] of entries) out[name] = toTorchLayout((await v.data()) as Float32Array, v.shape);
  return out;
}

/** The online encoder as tfjs LayersModel files. */
export async function encoderModel(program: TrainingProgram, tfjsVersion: string): Promise<ModelFiles> {
  const m = program.encoderModule;
  const weights: EncoderWeights = new Map();
  for (const [name, p] of m.params) weights.set(name, { data: (await p.variable.data()) as Float32Array, shape: p.variable.shape });
  for (const [name, b] of m.buffers) weights.set(name, { data: (await b.data()) as Float32Array, shape: b.shape });
  const { kind, params, input } = program.encoderSpec;
  return encoderModelFiles(kind, params, input, weights, tfjsVersion);
}

/**
 * Starts the online encoder from safetensors in PyTorch names and layout (from
 * an exported script or a CLI run); EMA targets copied from it follow, as
 * they start as copies.
 */
export function loadEncoderTensors(program: TrainingProgram, tensors: Record<string, NamedArray>, where: string): void {
  const m = program.encoderModule;
  const slots = new Map<string, tf.Variable>([...[...m.params].map(([n, p]) => [n, p.variable] as const), ...m.buffers]);
  const missing = [...slots.keys()].filter((n) => !tensors[n]);
  const unexpected = Object.keys(tensors).filter((n) => !slots.has(n) && !n.endsWith('num_batches_tracked'));
  if (missing.length || unexpected.length) {
    throw new Error(`${where}: the weights do not fit the encoder "${m.id}"${missing.length ? `; missing ${missing.join(', ')}` : ''}${unexpected.length ? `; unexpected ${unexpected.join(', ')}` : ''}`);
  }
  for (const [name, v] of slots) {
    const t = fromTorchLayout(tensors[name].data, tensors[name].shape);
    if (t.shape.join() !== v.shape.join()) throw new Error(`${where}: ${name} is ${tensors[name].shape.join('×')}, the encoder's is ${toTorchLayout(new Float32Array(v.size), v.shape).shape.join('×')}`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
  program.resetEmaTargets(m.id);
}
