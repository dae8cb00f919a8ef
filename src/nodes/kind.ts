/**
 * A node kind is a declaration: ports, params (zod, with ranges and
 * defaults), traits and a shape rule — plus one line in index.ts.
 */
import type { KindSpec } from '../graph';

export interface NodeKind<P = unknown> extends KindSpec<P> {
  /** The params a new node of this kind starts with. */
  defaults(): P;
}

export function defineKind<P>(spec: KindSpec<P> & { defaultInput?: unknown }): NodeKind<P> {
  const { defaultInput = {}, ...kind } = spec;
  return { ...kind, defaults: () => kind.params.parse(structuredClone(defaultInput)) };
}
