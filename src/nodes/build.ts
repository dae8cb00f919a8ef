/**
 * How a node kind computes: the contract between src/nodes and the runtime.
 * Kinds see tfjs only through `ctx.tf`, so that the editor can read the
 * registry without loading tfjs.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { PortShape } from '../graph';
import type { Rng } from './nn/rng';

export type Tf = typeof tfc;
export type Tensor = tfc.Tensor;
export type Tensor4D = tfc.Tensor4D;
export type Tensor2D = tfc.Tensor2D;
export type Variable = tfc.Variable;
export type Mode = 'train' | 'eval';

/** What a parameter is, for optimizers (LARS and weight decay skip biases and norms). */
export type ParamRole = 'weight' | 'bias' | 'norm';

export interface BuildContext<P> {
  tf: Tf;
  id: string;
  params: P;
  /** Inferred shapes at the inputs. */
  inputs: Readonly<Record<string, PortShape>>;
  /** For initial weights. */
  rng: Rng;
  /**
   * A parameter, trained unless this module is an EMA target. Shapes in tfjs layout. Its role decides
   * weight decay and LARS in both runtimes (the exporter reads it by running the build without tfjs,
   * ./param-roles.ts: a build declares its parameters and leaves tensor ops to forward).
   */
  param(name: string, shape: number[], role: ParamRole, init: (size: number) => Float32Array): Variable;
  /** A module's state that is not trained (BatchNorm running statistics). */
  buffer(name: string, shape: number[], init: (size: number) => Float32Array): Variable;
  /** The kind's declared training state (kind.ts KindState), by buffer name: read in forward, updated by the runtime after the step. */
  state: Readonly<Record<string, Variable>>;
}

/** What layers need of a step: train or eval, and how to update state (BatchNorm running statistics). */
export interface LayerEnv {
  mode: Mode;
  /**
   * Sets a buffer to a value once the step has succeeded (a step whose loss is
   * not finite changes nothing). The runtime keeps `value` until then.
   */
  assign(variable: Variable, value: Tensor): void;
}

export interface StepEnv extends LayerEnv {
  /** Per-step randomness (augmentations). */
  rng: Rng;
  /** The batch, 1×B×H×W×C in [0, 1]. */
  batch: Tensor;
}

export interface NodeProgram {
  forward(inputs: Readonly<Record<string, Tensor>>, env: StepEnv): Record<string, Tensor>;
}

export type Builder<P> = (ctx: BuildContext<P>) => NodeProgram;

/** The size of one axis of an inferred tensor shape (a build needs concrete sizes). */
export function dimOf(shape: PortShape | undefined, axis: number): number {
  const d = shape?.kind === 'tensor' ? shape.dims[axis] : undefined;
  if (typeof d !== 'number') throw new Error(`no concrete size at axis ${axis} of ${JSON.stringify(shape)}`);
  return d;
}
