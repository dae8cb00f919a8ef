/**
 * The document, format v1 (docs/semantics.md "The document"). This is the structural
 * schema: ids, wiring and positions. A node's params are checked against its
 * kind's own schema by the validator, since the kinds live in src/nodes.
 */
import { z } from 'zod';
import { TrainingSchema } from './training';

export const FORMAT = 'siamese-studio.graph';
export const CURRENT_VERSION = 1;

/** Ids appear in test ids, CLI lines and file names: keep them plain. */
export const IdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 letters, digits, "_", "-" or "." (starting with a letter, digit or "_")');

const PortRef = z.strictObject({ node: IdSchema, port: IdSchema });

export const PositionSchema = z.strictObject({ x: z.number(), y: z.number() });

export const EdgeSchema = z.strictObject({ id: IdSchema, from: PortRef, to: PortRef });

/** The node envelope, generic over what its params are checked against. */
export const nodeSchema = <T extends z.ZodType, P extends z.ZodType>(type: T, params: P) =>
  z.strictObject({
    id: IdSchema,
    type,
    label: z.string().max(200, 'must be at most 200 characters').optional(),
    params,
    position: PositionSchema,
  });

/** The whole document, generic over its node schema (structural here, per kind in the JSON Schema). */
export const documentSchema = <N extends z.ZodType>(node: N) =>
  z.strictObject({
    format: z.literal(FORMAT),
    version: z.literal(CURRENT_VERSION),
    name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    description: z.string().max(5000, 'must be at most 5000 characters').optional(),
    nodes: z.array(node).max(10_000, 'must have at most 10000 nodes'),
    edges: z.array(EdgeSchema).max(100_000, 'must have at most 100000 edges'),
    training: TrainingSchema.default(TrainingSchema.parse({})),
  });

export const NodeSchema = nodeSchema(
  z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  z.record(z.string(), z.json()),
);
export const GraphDocSchema = documentSchema(NodeSchema);

export type GraphDoc = z.output<typeof GraphDocSchema>;
export type GraphNode = GraphDoc['nodes'][number];
export type GraphEdge = GraphDoc['edges'][number];
export type PortRef = GraphEdge['from'];
