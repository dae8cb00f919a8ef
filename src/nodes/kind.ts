/**
 * A node kind is a declaration: ports, params (zod, with ranges and
 * defaults), traits and a shape rule — plus one line in index.ts.
 */
import type { KindSpec, PortShape } from '../graph';
import type { Builder, Tensor, Tf } from './build';
import type { DataSource } from './dataset';
import type { LayersNet } from './layers-net';
import type { Rng } from './nn/rng';

/** One buffer of a kind's training state: its shape and initial value. */
export interface StateBuffer {
  shape: number[];
  init: Float32Array;
}

/**
 * What a kind's training state holds so far, for the dashboard: e.g. "queue
 * 1,536 / 4,096 keys from this run (the rest: the initial random unit vectors)".
 */
export interface StateFigure {
  /** What it is, e.g. "queue". */
  label: string;
  value: number;
  of: number;
  /** What is counted, e.g. "keys from this run". */
  unit: string;
  /** What makes up the rest of `of`, while value < of. */
  rest?: string;
}

/**
 * Training state a node keeps between steps (a queue of keys, a centre):
 * tensors that are not trained, declared here so that every runtime treats
 * them alike — the tfjs runtime builds and updates them, checkpoints save and
 * restore them, the PyTorch exporter registers them as buffers (so the
 * script's checkpoint holds them) and gathers their inputs under DDP.
 */
export interface KindState<P> {
  /** The buffers by name, from the node's params and input shapes; initial values from the seeded init stream. Same layout in an exported script (never transposed, unlike weights). */
  buffers(params: P, inputs: Readonly<Record<string, PortShape>>, rng: Rng): Record<string, StateBuffer>;
  /** The input ports whose values at a step the update reads (never differentiated). */
  reads: readonly string[];
  /** Under DDP, those inputs are first gathered from every process (in rank order) — MoCo's concat_all_gather. */
  gatherAcrossProcesses: boolean;
  /** The buffers' new values, after the optimizer step of a step that succeeded, from their values and that step's inputs. */
  update(args: { tf: Tf; params: P; state: Readonly<Record<string, Tensor>>; inputs: Readonly<Record<string, Tensor>> }): Record<string, Tensor>;
  /** Its figure after `steps` steps at `batchSize` images per step (closed form: the page is never sent tensors). */
  figure?(params: P, run: { steps: number; batchSize: number }): StateFigure;
}

/** How a node kind appears in an exported PyTorch script (src/runtime/pytorch). */
export interface PyEmitter<P> {
  /**
   * Module kinds: the Python expression that builds the module; `inputSize` is its input's channels or width.
   * Kinds with training state: the nn.Module holding it — each buffer registered under its name
   * (`register_buffer`, so the script's checkpoint holds it) and `update(**inputs)` setting them in
   * place from the lists of views of `state.reads` (`inputSize`: the first one's width).
   */
  module?(params: P, inputSize: number): string;
  /**
   * The Python expression of this node's tensor output (a list of views, or
   * the loss) from its inputs' expressions. `attr` is its module's attribute
   * (an identifier the exporter derives from the id); any other text from the
   * document (the id, params) goes through `py` (./python).
   */
  forward?(args: { id: string; attr: string; params: P; inputs: Record<string, string> }): string;
  /** For an EMA kind: the Python of its EMA_LINKS entries after (online, target), e.g. `0.996, "cosine"`. */
  emaLink?(params: P): string;
  /**
   * The Python its expressions call (helper definitions, with their imports
   * on top), from a .py beside the kind's file: in a script once, whichever
   * kinds of the graph bring it. Several pieces when kinds share one
   * (e.g. gather.py, the global batch under DDP): each piece once per script.
   * Its top-level names must be its own: the exporter refuses one that another
   * kind's piece, the script's fixed part or its graph section also defines.
   */
  python?: string | readonly string[];
}

export interface NodeKind<P = unknown> extends KindSpec<P> {
  /** The params a new node of this kind starts with. */
  defaults(): P;
  /** How it computes (absent for kinds that act on weights only, like `ema`). */
  build?: Builder<P>;
  /** For `ema`: the momentum τ after optimizer step k of K. */
  emaTau?(params: P, step: number, totalSteps: number): number;
  /** Its part of an exported PyTorch script; a kind without one cannot be exported. */
  pytorch?: PyEmitter<P>;
  /** For a data source: what its params ask the loaders for (the exporter, the browser's worker and data chooser read it). */
  dataSource?(params: P): DataSource;
  /** For an encoder: its layers in a tfjs LayersModel (src/runtime/tfjs-model.ts), from `input`; returns the last layer. */
  layersModel?(params: P, net: LayersNet, input: string): string;
  /** Training state kept between steps (its build reads it as `ctx.state`). */
  state?: KindState<P>;
}

export function defineKind<P>(spec: KindSpec<P> & Pick<NodeKind<P>, 'build' | 'emaTau' | 'pytorch' | 'dataSource' | 'layersModel' | 'state'> & { defaultInput?: unknown }): NodeKind<P> {
  const { defaultInput = {}, ...kind } = spec;
  return { ...kind, defaults: () => kind.params.parse(structuredClone(defaultInput)) };
}
