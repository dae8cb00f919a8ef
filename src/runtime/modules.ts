/**
 * The variables of a compiled graph: each module's parameters and buffers by
 * name, which are trained, the EMA pairs (a target starts as a copy of its
 * online module and is never trained), and the training state kinds declare
 * (kind.ts KindState: a queue, a centre) by node and buffer name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamRole } from '../nodes/build';
import type { TrainableParam } from './optim';

export interface ModuleVariables {
  id: string;
  type: string;
  trainable: boolean;
  params: Map<string, { variable: tf.Variable; role: ParamRole }>;
  buffers: Map<string, tf.Variable>;
}

let programCount = 0;

export class VariableStore {
  readonly modules = new Map<string, ModuleVariables>();
  /** Kinds' training state: node id → buffer name → variable. */
  readonly state = new Map<string, Map<string, tf.Variable>>();
  /** tfjs variable names are global: a prefix per program keeps programs apart. */
  private readonly prefix = `p${++programCount}`;

  module(id: string, type: string, trainable: boolean): ModuleVariables {
    const m: ModuleVariables = { id, type, trainable, params: new Map(), buffers: new Map() };
    this.modules.set(id, m);
    return m;
  }

  param(m: ModuleVariables, name: string, shape: number[], role: ParamRole, values: Float32Array): tf.Variable {
    const variable = newVariable(values, shape, m.trainable, `${this.prefix}/${m.id}/${name}`);
    m.params.set(name, { variable, role });
    return variable;
  }

  buffer(m: ModuleVariables, name: string, shape: number[], values: Float32Array): tf.Variable {
    const variable = newVariable(values, shape, false, `${this.prefix}/${m.id}/${name}`);
    m.buffers.set(name, variable);
    return variable;
  }

  /** One buffer of a node's training state (never trained). */
  stateBuffer(node: string, name: string, shape: number[], values: Float32Array): tf.Variable {
    const variable = newVariable(values, shape, false, `${this.prefix}/${node}/${name}`);
    if (!this.state.has(node)) this.state.set(node, new Map());
    this.state.get(node)!.set(name, variable);
    return variable;
  }

  /** The training state by "node.name". */
  trainingState(): Map<string, tf.Variable> {
    return new Map([...this.state].flatMap(([node, buffers]) => [...buffers].map(([name, v]) => [`${node}.${name}`, v] as const)));
  }

  trainable(): TrainableParam[] {
    return [...this.modules.values()].filter((m) => m.trainable)
      .flatMap((m) => [...m.params].map(([name, p]) => ({ key: `${m.id}.${name}`, module: m.id, variable: p.variable, role: p.role })));
  }

  /** Every variable by "node.name": parameters, buffers and training state. */
  all(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const m of this.modules.values()) {
      for (const [name, p] of m.params) out.set(`${m.id}.${name}`, p.variable);
      for (const [name, b] of m.buffers) out.set(`${m.id}.${name}`, b);
    }
    for (const [key, v] of this.trainingState()) out.set(key, v);
    return out;
  }

  dispose(): void {
    for (const v of this.all().values()) v.dispose();
    this.modules.clear();
    this.state.clear();
  }
}

/** A variable holding `values` (the initial tensor is released: the variable shares its data). */
export function newVariable(values: Float32Array | tf.Tensor, shape: number[], trainable: boolean, name?: string): tf.Variable {
  const initial = values instanceof tf.Tensor ? values : tf.tensor(values, shape);
  const variable = tf.variable(initial, trainable, name);
  if (initial !== values) initial.dispose();
  return variable;
}

/** ξ ← τ·ξ + (1 − τ)·θ for every parameter of an EMA pair (buffers follow their own batches). */
export function emaUpdate(online: ModuleVariables, target: ModuleVariables, tau: number): void {
  tf.tidy(() => {
    for (const [name, { variable }] of online.params) {
      const t = target.params.get(name)!.variable;
      t.assign(tf.add(tf.mul(t, tau), tf.mul(variable, 1 - tau)));
    }
  });
}

/** A target starts as a copy of its online module: parameters and buffers. */
export function copyModule(from: ModuleVariables, to: ModuleVariables): void {
  for (const [name, { variable }] of from.params) to.params.get(name)!.variable.assign(variable);
  for (const [name, b] of from.buffers) to.buffers.get(name)!.assign(b);
}
