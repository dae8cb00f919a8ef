/**
 * What the validator needs to know about a node kind: its ports, its params
 * schema, its traits and its shape rule. The kinds themselves live in
 * src/nodes (which add how each one computes); the graph layer only reads them.
 */
import type { z } from 'zod';
import type { ProblemCode, Severity } from './problems';

/** Socket kinds: what a wire carries. Only equal kinds connect. */
export type SocketKind = 'images' | 'features' | 'loss' | 'weights';

/** What a port of each socket kind means, on either side, in one line (the editor's port tooltips). */
export const socketMeaning: Record<SocketKind, { input: string; output: string }> = {
  images: { input: 'takes images: view stacks V×B×H×W×C', output: 'gives images: view stacks V×B×H×W×C' },
  features: { input: 'takes feature vectors, one per view and image: V×B×D', output: 'gives feature vectors, one per view and image: V×B×D' },
  loss: { input: 'takes a scalar loss', output: 'a scalar to minimize; every loss node adds to the total' },
  weights: {
    input: "takes an EMA node's target weights: this module becomes that EMA's target, never trained by gradients",
    output: "this module's weights: wire them to an EMA node's online input",
  },
};

/** The port key through which a module exposes (output) or receives (input, from `ema`) its weights. */
export const WEIGHTS_PORT = 'weights';

export interface PortSpec {
  key: string;
  kind: SocketKind;
  label: string;
  /** Required inputs must be wired for the graph to train. */
  required?: boolean;
}

/** A symbolic batch dimension, or a size. */
export type Dim = number | 'B';

export type PortShape =
  /** A tensor: view stacks are [V, B, …]; a loss is [] (a scalar). */
  | { kind: 'tensor'; dims: readonly Dim[] }
  /** A module's weights: equal signatures mean equal architectures (EMA pairs). */
  | { kind: 'weights'; signature: string; summary: string };

export const tensor = (...dims: Dim[]): PortShape => ({ kind: 'tensor', dims });

export function formatShape(shape: PortShape): string {
  if (shape.kind === 'weights') return shape.summary;
  return shape.dims.length === 0 ? 'scalar' : shape.dims.join('×');
}

/** A problem a shape rule reports; the validator adds the node and the path. */
export interface LocalProblem {
  code: ProblemCode;
  message: string;
  severity?: Severity;
  port?: string;
  param?: string;
}

export interface InferContext<P> {
  params: P;
  /** The document's training batch size B (per step; a queue must hold at least one batch). */
  batchSize?: number;
  /** Shapes arriving at each wired input whose source is known. */
  inputs: Readonly<Record<string, PortShape | undefined>>;
}

export interface InferResult {
  /** An output missing (or undefined) has no known shape: its input was not known. */
  outputs: Record<string, PortShape | undefined>;
  problems?: LocalProblem[];
}

/** A module's tensor ports: it is applied view by view from `input` to `output` (its weights ports are WEIGHTS_PORT). */
export interface ModuleRole {
  input: string;
  output: string;
}

/**
 * Roles a node plays, declared by its kind: the validator reasons with them
 * (gradient flow, EMA pairs, collapse warnings) and the runtime, the monitors
 * and the exporters find nodes and ports by them, never by type or port names.
 */
export interface NodeTraits {
  /** Holds trainable weights; takes `weights` from an `ema` to become a target. */
  module?: ModuleRole;
  /** The backbone: the first trainable one's features are what kNN, the probe set and weight export use. */
  encoder?: boolean;
  /** Its module output is the embedding z whose collapse the metrics watch (the first trainable one; else the last trainable module's). */
  embedding?: boolean;
  /** Identity forward, no gradient backward. */
  stopsGradient?: boolean;
  /** The predictor of BYOL/SimSiam: without one the graph is likely to collapse. */
  predictor?: boolean;
  /** A training objective: the scalar on its `output` port; the graph's loss is the sum of these. */
  loss?: { output: string };
  /** The port keys of a loss's two sides. */
  lossSides?: { prediction: string; target: string };
  /** A loss's family: what keeps it from collapsing (the gallery's collapse lab is grouped by it). */
  family?: LossFamily;
  /** Makes the views: `input` one batch, `output` the view stack a run may replace with fixed views (parity, fault injection). */
  augment?: { input: string; output: string };
  /** A source of image batches, given on `output`. */
  dataset?: { output: string };
  /**
   * A contrastive loss against negatives (MoCo's InfoNCE): no collapse warning (the negatives keep
   * it apart); the side wired to `keys` must get no gradient to a trainable module, and the memory
   * on `memory` (a node with the memory trait) must be fed by that same output.
   */
  negatives?: { query: string; keys: string; memory: string };
  /** Holds what `input` gave at earlier steps (a queue of keys): `output` carries no gradient back to `input`. */
  memory?: { input: string; output: string };
}

/**
 * The families of siamese losses, by what prevents collapse: in-batch or
 * queued negatives (SimCLR, MoCo), an asymmetry between the branches (BYOL's
 * EMA target and predictor, SimSiam's stop-gradient and predictor), or
 * decorrelating the embedding's dimensions (Barlow Twins, VICReg).
 */
export type LossFamily = 'negatives' | 'asymmetry' | 'decorrelation';

/**
 * A kind's traits: fixed, or from a node's params. The function gets the
 * params after the kind's schema, or undefined where they fail it (the graph
 * then has an error already; say what the node is regardless of its params).
 */
export type KindTraits<P> = NodeTraits | ((params: P | undefined) => NodeTraits);

/** The traits of a node of `kind` with these params (see KindTraits). */
export function traitsOf<P>(kind: KindSpec<P>, params: P | undefined): NodeTraits {
  return typeof kind.traits === 'function' ? kind.traits(params) : kind.traits;
}

export type NodeGroup = 'Data' | 'Augment' | 'Modules' | 'Gradient flow' | 'Loss';

export interface KindSpec<P = unknown> {
  type: string;
  title: string;
  group: NodeGroup;
  /** One line for the palette and inspector. */
  doc: string;
  /** The paper (and section) this kind follows. */
  citation: string;
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  params: z.ZodType<P>;
  traits: KindTraits<P>;
  infer(ctx: InferContext<P>): InferResult;
}

export interface Catalog {
  readonly kinds: readonly KindSpec[];
  get(type: string): KindSpec | undefined;
}
