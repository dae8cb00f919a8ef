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
  /** Shapes arriving at each wired input whose source is known. */
  inputs: Readonly<Record<string, PortShape | undefined>>;
}

export interface InferResult {
  /** An output missing (or undefined) has no known shape: its input was not known. */
  outputs: Record<string, PortShape | undefined>;
  problems?: LocalProblem[];
}

/** Roles the validator reasons with (gradient flow, EMA pairs, collapse warnings). */
export interface NodeTraits {
  /** Holds trainable weights; takes `weights` from an `ema` to become a target. */
  module?: boolean;
  /** Identity forward, no gradient backward. */
  stopsGradient?: boolean;
  /** The predictor of BYOL/SimSiam: without one the graph is likely to collapse. */
  predictor?: boolean;
  /** A training objective; the graph's loss is the sum of these. */
  loss?: boolean;
  /** The port keys of a loss's two sides. */
  lossSides?: { prediction: string; target: string };
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
  traits: NodeTraits;
  infer(ctx: InferContext<P>): InferResult;
}

export interface Catalog {
  readonly kinds: readonly KindSpec[];
  get(type: string): KindSpec | undefined;
}
