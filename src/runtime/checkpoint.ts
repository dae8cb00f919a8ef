/**
 * Checkpoints: every variable (online and target modules, BatchNorm buffers,
 * the training state node kinds declare: a queue),
 * the optimizer's slots and step, and the random streams and data order, so
 * that a resumed run computes exactly what the uninterrupted one would have.
 * Stored as safetensors (tensors) + `state.json` (the rest, the canonical
 * document trained, and the tensors' SHA-256). Everything read back is
 * checked — the JSON against a schema, the checksum, every tensor's name and
 * shape against the compiled program, the data order against the dataset —
 * before anything is restored, and a bad part is named with its field.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { serializeGraph } from '../graph';
import { slotNames } from './optim';
import type { TrainingProgram } from './program';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors';

export const CHECKPOINT_FORMAT = 'siamese-studio.checkpoint';
/** Version 3 adds `state` (kinds' training state); version 2, written before there was any, still reads. */
export const CHECKPOINT_VERSION = 3;
const READABLE_VERSIONS = [2, CHECKPOINT_VERSION];

export interface CheckpointFiles {
  json: string;
  tensors: Uint8Array;
}

/** A checkpoint that cannot be restored: the message names the file and the field. */
export class CheckpointError extends Error {}

const uint32 = z.number().int().min(0).max(2 ** 32 - 1);
const RngStateSchema = z.tuple([uint32, uint32, uint32, uint32]).refine((s) => s.some((x) => x !== 0), 'an all-zero random state never changes');
const stepCount = z.number().int().min(0).max(100_000_000);

const StateSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  /** The kinds' training state among the tensors (`var/node.name`), with its shape: what a resume must find again. */
  state: z.record(z.string(), z.array(z.number().int().min(0))),
  /** The canonical text of the document trained. */
  graph: z.string(),
  tensorsSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
  optimizerStep: stepCount,
  completed: stepCount,
  sampler: z.strictObject({ rng: RngStateSchema, order: z.array(z.number().int().min(0)).nullable(), position: z.number().int().min(0) }),
  augment: RngStateSchema,
});
export type CheckpointState = z.output<typeof StateSchema>;

/** Every state tensor by its checkpoint name: `var/module.name` and `optim/module.name/slot`. */
function stateTensors(program: TrainingProgram): Map<string, tf.Tensor> {
  const all = new Map<string, tf.Tensor>();
  for (const [key, v] of program.variables()) all.set(`var/${key}`, v);
  for (const [key, t] of Object.entries(program.optimizerState.state().tensors)) all.set(`optim/${key}`, t);
  return all;
}

/**
 * The first state tensor holding a NaN or ±Infinity, if any: one scalar per
 * tensor (sum of t·0, which is NaN exactly when t has a non-finite value) and
 * one read back, so it can run after every step.
 */
export async function firstNonFiniteTensor(program: TrainingProgram): Promise<string | undefined> {
  const tensors = [...stateTensors(program)];
  if (!tensors.length) return undefined;
  const flags = tf.tidy(() => tf.stack(tensors.map(([, t]) => tf.sum(tf.mul(t, 0)))));
  const values = await flags.data();
  flags.dispose();
  const i = values.findIndex((v) => v !== 0);
  return i < 0 ? undefined : tensors[i][0];
}

/** A state tensor's checkpoint name in words: "weight enc.conv1.weight", "optimizer state momentum of enc.conv1.weight". */
export function describeStateTensor(name: string): string {
  if (name.startsWith('var/')) return `variable ${name.slice(4)}`;
  const path = name.slice('optim/'.length);
  const cut = path.lastIndexOf('/');
  return `optimizer state ${path.slice(cut + 1)} of ${path.slice(0, cut)}`;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The checkpoint of a program's state, or undefined when some tensor is not finite (a state not worth keeping). */
export async function saveCheckpoint(program: TrainingProgram): Promise<CheckpointFiles | undefined> {
  const arrays: Record<string, NamedArray> = {};
  for (const [name, t] of stateTensors(program)) arrays[name] = { data: (await t.data()) as Float32Array, shape: t.shape };
  if (!Object.values(arrays).every((t) => t.data.every(Number.isFinite))) return undefined;
  const tensors = encodeSafetensors(arrays);
  const state: CheckpointState = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, graph: serializeGraph(program.doc), tensorsSha256: await sha256Hex(tensors),
    state: Object.fromEntries([...program.trainingState()].map(([key, v]) => [key, v.shape])),
    optimizerStep: program.optimizerState.state().step, ...program.samplerState(),
  };
  return { json: JSON.stringify(state), tensors };
}

/** state.json's text, parsed and checked against the schema; `file` names it in errors. */
export function readCheckpointState(json: string, file: string): CheckpointState {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${file}: not a Siamese Studio checkpoint (format ${JSON.stringify(format)})`);
  const version = (raw as { version?: unknown }).version;
  if (!READABLE_VERSIONS.includes(version as number)) {
    throw new CheckpointError(`${file}: checkpoint version ${JSON.stringify(version)}; this version of Siamese Studio reads versions ${READABLE_VERSIONS.join(' and ')} (start a new run)`);
  }
  // version 2 predates kinds' training state: it holds none
  const parsed = StateSchema.safeParse(version === 2 ? { ...(raw as object), version: CHECKPOINT_VERSION, state: {} } : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const state = parsed.data;
  if (state.optimizerStep !== state.completed) {
    throw new CheckpointError(`${file}: optimizerStep is ${state.optimizerStep} but completed is ${state.completed}: one update is made per step`);
  }
  return state;
}

/**
 * Restores a checked state and its tensors into a program built (init) from
 * the same document; `files` names state.json and the tensors file in errors.
 * Nothing is changed unless every part fits.
 */
export async function restoreCheckpoint(program: TrainingProgram, state: CheckpointState, tensorBytes: Uint8Array, files: { state: string; tensors: string }): Promise<void> {
  const fail = (what: string) => { throw new CheckpointError(what); };
  if ((await sha256Hex(tensorBytes)) !== state.tensorsSha256) {
    fail(`${files.tensors}: its SHA-256 differs from tensorsSha256 in ${files.state}: the file is damaged`);
  }
  if (state.completed > program.totalSteps) fail(`${files.state}: completed: the checkpoint is at step ${state.completed}, past this run's ${program.totalSteps} steps`);
  let saved: Record<string, NamedArray>;
  try {
    saved = decodeSafetensors(tensorBytes, files.tensors).tensors;
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  const variables = program.variables();
  for (const [key, v] of program.trainingState()) {
    const shape = state.state[key];
    if (!shape) fail(`${files.state}: state: has no training state ${key} (${v.shape.join('×')}), which this graph keeps: was it made from another graph?`);
    if (shape.join() !== v.shape.join()) fail(`${files.state}: state: ${key} is ${shape.join('×')}, but ${v.shape.join('×')} in the graph`);
  }
  for (const key of Object.keys(state.state)) if (!program.trainingState().has(key)) fail(`${files.state}: state: ${key} is no training state of this graph: was it made from another graph?`);
  const expected = new Map<string, number[]>();
  for (const [key, v] of variables) expected.set(`var/${key}`, v.shape);
  const slots = new Set(slotNames(program.optimizerState.settings));
  for (const name of Object.keys(saved)) {
    if (!name.startsWith('optim/')) continue;
    const path = name.slice('optim/'.length);
    const cut = path.lastIndexOf('/');
    const [key, slot] = [path.slice(0, cut), path.slice(cut + 1)];
    const v = variables.get(key);
    if (cut < 0 || !v || !v.trainable || !slots.has(slot)) fail(`${files.tensors}: ${name} is no optimizer state of this graph and optimizer (${program.optimizerState.settings.type}): was it made from another graph?`);
    expected.set(name, v!.shape);
  }
  for (const [name, shape] of expected) {
    const t = saved[name];
    if (!t) fail(`${files.tensors}: has no ${name}: was it made from another graph?`);
    if (t.shape.join() !== shape.join()) fail(`${files.tensors}: ${name} is ${t.shape.join('×')}, but ${shape.join('×')} in the graph`);
    if (!t.data.every(Number.isFinite)) fail(`${files.tensors}: ${name} holds a non-finite value`);
  }
  for (const name of Object.keys(saved)) if (!expected.has(name)) fail(`${files.tensors}: ${name} is not part of this graph: was it made from another graph?`);
  try {
    program.restoreSampler(state);
  } catch (e) {
    throw new CheckpointError(`${files.state}: ${(e as Error).message}`);
  }
  for (const [key, v] of variables) {
    const t = saved[`var/${key}`];
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
  const optimizer: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(saved)) if (name.startsWith('optim/')) optimizer[name.slice('optim/'.length)] = tf.tensor(t.data, t.shape);
  program.optimizerState.restore({ step: state.optimizerStep, tensors: optimizer });
  tf.dispose(Object.values(optimizer));
}

/** Checks and restores checkpoint files (the browser's in-memory checkpoints); `where` names them in errors. */
export async function loadCheckpoint(program: TrainingProgram, files: CheckpointFiles, where: string): Promise<void> {
  const state = readCheckpointState(files.json, `${where}/state.json`);
  await restoreCheckpoint(program, state, files.tensors, { state: `${where}/state.json`, tensors: `${where}/state.safetensors` });
}
