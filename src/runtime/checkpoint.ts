/**
 * Checkpoints: every variable (online and target modules, BatchNorm buffers),
 * the optimizer's slots and step, and the random streams and data order, so
 * that a resumed run computes exactly what the uninterrupted one would have.
 * Stored as `state.safetensors` (tensors) + `state.json` (the rest).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingProgram } from './program';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors';

export const CHECKPOINT_FORMAT = 'siamese-studio.checkpoint';

export interface CheckpointFiles {
  json: string;
  tensors: Uint8Array;
}

/** The checkpoint of a program's state, or undefined when some tensor is not finite (a state not worth keeping). */
export async function saveCheckpoint(program: TrainingProgram): Promise<CheckpointFiles | undefined> {
  const tensors: Record<string, NamedArray> = {};
  for (const [key, v] of program.variables()) tensors[`var/${key}`] = { data: (await v.data()) as Float32Array, shape: v.shape };
  const optimizer = program.optimizerState.state();
  for (const [key, t] of Object.entries(optimizer.tensors)) tensors[`optim/${key}`] = { data: (await t.data()) as Float32Array, shape: t.shape };
  if (!Object.values(tensors).every((t) => t.data.every(Number.isFinite))) return undefined;
  const json = JSON.stringify({ format: CHECKPOINT_FORMAT, version: 1, optimizerStep: optimizer.step, ...program.samplerState() }, null, 1);
  return { json, tensors: encodeSafetensors(tensors) };
}

/** Restores a checkpoint into a program built (init) from the same document. */
export function loadCheckpoint(program: TrainingProgram, files: CheckpointFiles, where: string): void {
  const state = JSON.parse(files.json);
  if (state.format !== CHECKPOINT_FORMAT) throw new Error(`${where}: not a Siamese Studio checkpoint`);
  const { tensors } = decodeSafetensors(files.tensors, `${where}/state.safetensors`);
  const variables = program.variables();
  for (const [key, v] of variables) {
    const saved = tensors[`var/${key}`];
    if (!saved) throw new Error(`${where}: the checkpoint has no ${key}: was it made from another graph?`);
    if (saved.shape.join() !== v.shape.join()) throw new Error(`${where}: ${key} is ${saved.shape.join('×')} in the checkpoint, ${v.shape.join('×')} in the graph`);
    tf.tidy(() => v.assign(tf.tensor(saved.data, saved.shape)));
  }
  const slots: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(tensors)) if (key.startsWith('optim/')) slots[key.slice(6)] = tf.tensor(t.data, t.shape);
  program.optimizerState.restore({ step: state.optimizerStep, tensors: slots });
  tf.dispose(Object.values(slots));
  program.restoreSampler(state);
}
