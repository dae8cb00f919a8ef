/**
 * The node registry: the palette, the validator and the runtime all read it.
 * Adding a node kind = adding its file + one line here.
 */
import { validateGraph, type Catalog, type GraphDoc, type Validation } from '../graph';
import { augment } from './augment';
import { dataset } from './dataset';
import { ema } from './ema';
import { encoder } from './encoder';
import type { NodeKind } from './kind';
import { loss } from './loss';
import { predictor } from './predictor';
import { projector } from './projector';
import { stopGradient } from './stop-gradient';

export const nodeKinds: readonly NodeKind<any>[] = [
  dataset,
  augment,
  encoder,
  projector,
  predictor,
  stopGradient,
  ema,
  loss,
];

const byType = new Map(nodeKinds.map((k) => [k.type, k]));

export interface NodeCatalog extends Catalog {
  readonly kinds: readonly NodeKind<any>[];
  get(type: string): NodeKind<any> | undefined;
}

export const catalog: NodeCatalog = {
  kinds: nodeKinds,
  get: (type) => byType.get(type),
};

/** Validation against the built-in node kinds. */
export const validate = (doc: GraphDoc): Validation => validateGraph(doc, catalog);

export type { NodeKind } from './kind';
export { documentJsonSchema } from './json-schema';
