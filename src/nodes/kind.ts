/**
 * A node kind is a declaration: ports, params (zod, with ranges and
 * defaults), traits and a shape rule — plus one line in index.ts.
 */
import type { KindSpec } from '../graph';
import type { Builder } from './build';

export interface NodeKind<P = unknown> extends KindSpec<P> {
  /** The params a new node of this kind starts with. */
  defaults(): P;
  /** How it computes (absent for kinds that act on weights only, like `ema`). */
  build?: Builder<P>;
  /** For `ema`: the momentum τ after optimizer step k of K. */
  emaTau?(params: P, step: number, totalSteps: number): number;
}

export function defineKind<P>(spec: KindSpec<P> & Pick<NodeKind<P>, 'build' | 'emaTau'> & { defaultInput?: unknown }): NodeKind<P> {
  const { defaultInput = {}, ...kind } = spec;
  return { ...kind, defaults: () => kind.params.parse(structuredClone(defaultInput)) };
}
