/** Runtime test helpers: tfjs in Node, small synthetic data, small graphs, single nodes. */
import type * as tfc from '@tensorflow/tfjs-core';
import { parseGraph, type GraphDoc, type PortShape } from '../../src/graph';
import type { NodeKind } from '../../src/nodes';
import type { NodeProgram, ParamRole, StepEnv } from '../../src/nodes/build';
import { Rng } from '../../src/nodes/nn/rng';
import type { Dataset } from '../../src/runtime/data/dataset';
import { newVariable } from '../../src/runtime/modules';
import { loadTfNode } from '../../src/runtime/tf/node';
import { template } from './docs';

export async function tfOn(backend: string): Promise<typeof tfc> {
  const tf = await loadTfNode();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  return tf;
}

/** n random 28×28 grayscale images with labels: Fashion-MNIST's shape, none of its size. */
export function syntheticDataset(n = 96, seed = 7): Dataset {
  const rng = new Rng(seed);
  const set = (count: number) => ({
    images: Uint8Array.from({ length: count * 784 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: count }, () => rng.int(10)),
    count, height: 28, width: 28, channels: 1,
  });
  return { name: 'synthetic', train: set(n), test: set(32), classes: 10 };
}

/** A template shrunk to tiny widths and 12×12 crops, so that cpu steps take milliseconds. */
export function tiny(name: string): GraphDoc {
  const doc = template(name);
  for (const n of doc.nodes) {
    if (n.type === 'augment') n.params.size = 12;
    if (n.type === 'encoder') n.params = { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true };
    if (n.type === 'projector') Object.assign(n.params, { hiddenDim: 16, outputDim: 8 });
    if (n.type === 'predictor') Object.assign(n.params, { hiddenDim: 4, outputDim: 8 });
  }
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

export interface BuiltNode {
  program: NodeProgram;
  params: Array<{ name: string; variable: tfc.Variable; role: ParamRole }>;
  buffers: Map<string, tfc.Variable>;
  dispose(): void;
}

/** One node kind built on its own, with trainable variables, for gradient checks. */
export function buildNode<P>(tf: typeof tfc, kind: NodeKind<P>, params: P, inputs: Record<string, PortShape>, seed = 1): BuiltNode {
  const made: BuiltNode['params'] = [];
  const buffers = new Map<string, tfc.Variable>();
  const program = kind.build!({
    tf, id: kind.type, params, inputs, rng: new Rng(seed), state: {},
    param: (name, shape, role, init) => {
      const variable = newVariable(init(shape.reduce((a, b) => a * b, 1)), shape, true);
      made.push({ name, variable, role });
      return variable;
    },
    buffer: (name, shape, init) => {
      const v = newVariable(init(shape.reduce((a, b) => a * b, 1)), shape, false);
      buffers.set(name, v);
      return v;
    },
  });
  return { program, params: made, buffers, dispose: () => tf.dispose([...made.map((p) => p.variable), ...buffers.values()]) };
}

export const trainEnv = (tf: typeof tfc, seed = 3): StepEnv => ({ mode: 'train', rng: new Rng(seed), batch: tf.zeros([1]), assign: () => {} });

/** The largest |a_i − b_i|; Infinity when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
