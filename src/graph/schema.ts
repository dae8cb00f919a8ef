/**
 * The document, format v2 (docs/semantics.md "The document"). This is the structural
 * schema: ids, wiring, positions, and the canvas's notes and groups. A node's params are checked against its
 * kind's own schema by the validator, since the kinds live in src/nodes.
 */
import { z } from 'zod';
import { TrainingSchema } from './training';

export const FORMAT = 'siamese-studio.graph';
export const CURRENT_VERSION = 2;

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

/** A plain-text box on the canvas (v2): never trained, never rendered as markup. */
export const NoteSchema = z.strictObject({
  id: IdSchema,
  text: z.string().max(10_000, 'must be at most 10000 characters'),
  position: PositionSchema,
});

/** A titled frame around some nodes (v2): they move together; collapsed, it shows its title alone. */
export const GroupSchema = z.strictObject({
  id: IdSchema,
  title: z.string().max(200, 'must be at most 200 characters'),
  collapsed: z.boolean().optional(),
  nodes: z.array(IdSchema).min(1, 'must name at least one node').max(10_000, 'must have at most 10000 nodes'),
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
    // Absent when empty: a document without notes or groups reads as it did in v1.
    notes: z.array(NoteSchema).max(1000, 'must have at most 1000 notes').optional(),
    groups: z.array(GroupSchema).max(1000, 'must have at most 1000 groups').optional(),
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
export type GraphNote = z.output<typeof NoteSchema>;
export type GraphGroup = z.output<typeof GroupSchema>;
