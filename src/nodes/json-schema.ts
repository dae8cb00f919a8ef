/**
 * The JSON Schema of the whole document, generated from the zod schemas: the
 * structural envelope with, per node type, that kind's own params schema.
 */
import { z } from 'zod';
import { CURRENT_VERSION, documentSchema, nodeSchema } from '../graph';
import type { NodeKind } from './kind';

export function documentJsonSchema(kinds: readonly NodeKind<any>[]): Record<string, unknown> {
  const nodes = kinds.map((k) => nodeSchema(z.literal(k.type), k.params).describe(`${k.title}: ${k.doc}`));
  const doc = documentSchema(z.union(nodes as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]));
  return {
    ...z.toJSONSchema(doc, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: `https://siamese-studio.dev/schema/graph-v${CURRENT_VERSION}.json`,
    title: `Siamese Studio graph document, format v${CURRENT_VERSION}`,
  };
}
