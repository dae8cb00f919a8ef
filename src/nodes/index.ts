/**
 * The node registry: the palette, the validator and the runtime all read it.
 * Adding a node kind = adding its file + one line here.
 */
import { validateGraph, type Catalog, type GraphDoc, type Validation } from '../graph';
import { augment } from './augment';
import { barlowTwins } from './barlow-twins';
import { dataset } from './dataset';
import { ema } from './ema';
import { encoder } from './encoder';
import { infoNceKind } from './info-nce';
import type { NodeKind } from './kind';
import { loss } from './loss';
import { ntXentKind } from './nt-xent';
import { predictor } from './predictor';
import { projector } from './projector';
import { queue } from './queue';
import { stopGradient } from './stop-gradient';
import { vicreg } from './vicreg';

export const nodeKinds: readonly NodeKind<any>[] = [
  dataset,
  augment,
  encoder,
  projector,
  predictor,
  stopGradient,
  ema,
  loss,
  queue,
  infoNceKind,
  ntXentKind,
  barlowTwins,
  vicreg,
];

export interface NodeCatalog extends Catalog {
  readonly kinds: readonly NodeKind<any>[];
  get(type: string): NodeKind<any> | undefined;
}

/** A catalog of these kinds (the built-in one below; tests and variants make their own). */
export function catalogOf(kinds: readonly NodeKind<any>[]): NodeCatalog {
  const byType = new Map(kinds.map((k) => [k.type, k]));
  return { kinds, get: (type) => byType.get(type) };
}

/** The built-in node kinds: the default wherever a catalog is a parameter. */
export const catalog: NodeCatalog = catalogOf(nodeKinds);

/** Validation against a catalog's node kinds (the built-in ones by default). */
export const validate = (doc: GraphDoc, kinds: NodeCatalog = catalog): Validation => validateGraph(doc, kinds);

export type { NodeKind } from './kind';
export { documentJsonSchema } from './json-schema';
