/**
 * Edits of the document: pure functions from one GraphDoc to the next. The
 * store records each as one undo step; the canvas only ever asks for these.
 * No Vue, no Rete: tested in Node.
 */
import { z } from 'zod';
import { CURRENT_VERSION, EdgeSchema, FORMAT, NodeSchema, TrainingSchema, type GraphDoc, type GraphEdge, type GraphNode, type PortRef, type Problem } from '../../graph';
import { catalog as builtIn, validate, type NodeCatalog } from '../../nodes';
import { ungroupNodes } from './annotations';
import { freshId } from './ids';

export interface Position { x: number; y: number }

/** What Ctrl+C holds: some nodes and the wires between them. */
export interface Clip {
  format: 'siamese-studio.clip';
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function emptyDocument(name = 'Untitled'): GraphDoc {
  return { format: FORMAT, version: CURRENT_VERSION, name, nodes: [], edges: [], training: TrainingSchema.parse({}) };
}

export { freshId };

const nodeIds = (doc: GraphDoc) => new Set(doc.nodes.map((n) => n.id));

function nextEdgeId(taken: Set<string>): string {
  for (let i = taken.size + 1; ; i++) if (!taken.has(`e${i}`)) return `e${i}`;
}

/**
 * A node of `type` with its kind's defaults, at `position`. The edits that
 * add or wire nodes take the catalog of node kinds (the built-in one by default).
 */
export function addNode(doc: GraphDoc, type: string, position: Position, catalog: NodeCatalog = builtIn): { doc: GraphDoc; id: string } {
  const kind = catalog.get(type);
  if (!kind) throw new Error(`no node kind "${type}"`);
  const id = freshId(type, nodeIds(doc));
  const node: GraphNode = { id, type, label: kind.title, params: kind.defaults() as GraphNode['params'], position: round(position) };
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id };
}

/** Removes the nodes, every wire that touches them, and them from their groups. */
export function removeNodes(doc: GraphDoc, ids: Iterable<string>): GraphDoc {
  const gone = new Set(ids);
  return {
    ...ungroupNodes(doc, gone),
    nodes: doc.nodes.filter((n) => !gone.has(n.id)),
    edges: doc.edges.filter((e) => !gone.has(e.from.node) && !gone.has(e.to.node)),
  };
}

export function removeEdges(doc: GraphDoc, ids: Iterable<string>): GraphDoc {
  const gone = new Set(ids);
  return { ...doc, edges: doc.edges.filter((e) => !gone.has(e.id)) };
}

export function moveNodes(doc: GraphDoc, positions: ReadonlyMap<string, Position>): GraphDoc {
  return { ...doc, nodes: doc.nodes.map((n) => (positions.has(n.id) ? { ...n, position: round(positions.get(n.id)!) } : n)) };
}

export function updateNode(doc: GraphDoc, id: string, patch: Partial<Pick<GraphNode, 'label' | 'params'>>): GraphDoc {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)) };
}

/**
 * Wires `from` to `to`, replacing what fed that input before — or, when the
 * validator would refuse the wire, says why and changes nothing. Refused: a
 * new error on the wire itself (kinds, direction, ports), a cycle, or a shape
 * the target's input cannot take.
 */
export function connect(doc: GraphDoc, from: PortRef, to: PortRef, catalog: NodeCatalog = builtIn): { doc: GraphDoc; id: string } | { refused: string } {
  if (doc.edges.some((e) => same(e.from, from) && same(e.to, to))) return { refused: 'these ports are already wired' };
  const id = nextEdgeId(new Set(doc.edges.map((e) => e.id)));
  const next = { ...doc, edges: [...doc.edges.filter((e) => !same(e.to, to)), { id, from: { ...from }, to: { ...to } }] };
  const before = new Set(validate(doc, catalog).problems.filter((p) => p.severity === 'error').map((p) => `${p.code}|${p.node}|${p.port}|${p.message}`));
  const refusal = validate(next, catalog).problems.find((p) => p.severity === 'error' && !before.has(`${p.code}|${p.node}|${p.port}|${p.message}`)
    && (p.edge === id || p.code === 'cycle' || (p.code === 'shape-mismatch' && p.node === to.node)));
  return refusal ? { refused: refusal.message } : { doc: next, id };
}

/** The port a wire was dragged from and dropped in empty space. */
export interface WireEnd extends PortRef { side: 'input' | 'output' }

/**
 * Adds a node of `type` at `position` wired to `end` — to its first port of
 * the other side and the same socket kind — as one edit; or says why not:
 * no such port, the validator refuses the wire as `connect` does, or the
 * wire starts with an error at either end.
 */
export function addNodeWired(doc: GraphDoc, type: string, position: Position, end: WireEnd, catalog: NodeCatalog = builtIn): { doc: GraphDoc; id: string } | { refused: string } {
  const port = portFacing(doc, type, end, catalog);
  if (!port) return { refused: `${catalog.get(type)?.title ?? type} has no ${end.side === 'output' ? 'input' : 'output'} of kind ${socketOf(doc, end, catalog) ?? '?'}` };
  const added = addNode(doc, type, position, catalog);
  const ours = { node: added.id, port };
  const theirs = { node: end.node, port: end.port };
  const wired = end.side === 'output' ? connect(added.doc, theirs, ours, catalog) : connect(added.doc, ours, theirs, catalog);
  if ('refused' in wired) return wired;
  // Stricter than a wire between existing nodes: no new error on either end of it (an EMA target's architecture).
  const key = (p: Problem) => `${p.code}|${p.node}|${p.port}|${p.message}`;
  const before = new Set(validate(doc, catalog).problems.map(key));
  const onWire = (p: Problem) => (p.node === added.id && p.port === ours.port) || (p.node === end.node && p.port === end.port);
  const wrong = validate(wired.doc, catalog).problems.find((p) => p.severity === 'error' && onWire(p) && !before.has(key(p)));
  return wrong ? { refused: wrong.message } : { doc: wired.doc, id: added.id };
}

/** The socket kind at a wire's end. */
export const socketOf = (doc: GraphDoc, end: WireEnd, catalog: NodeCatalog = builtIn) => {
  const kind = catalog.get(doc.nodes.find((n) => n.id === end.node)?.type ?? '');
  return (end.side === 'output' ? kind?.outputs : kind?.inputs)?.find((p) => p.key === end.port)?.kind;
};

/** The port of a new `type` node that a wire from `end` goes to: its first of the other side with the same socket kind. */
export function portFacing(doc: GraphDoc, type: string, end: WireEnd, catalog: NodeCatalog = builtIn): string | undefined {
  const kind = catalog.get(type);
  const socket = socketOf(doc, end, catalog);
  return (end.side === 'output' ? kind?.inputs : kind?.outputs)?.find((p) => p.kind === socket)?.key;
}

/** The node kinds that `addNodeWired` accepts for `end`, in the registry's order. */
export const kindsWirableTo = (doc: GraphDoc, end: WireEnd, catalog: NodeCatalog = builtIn) =>
  catalog.kinds.filter((k) => !('refused' in addNodeWired(doc, k.type, { x: 0, y: 0 }, end, catalog)));

/** The selected nodes and the wires among them. */
export function copyNodes(doc: GraphDoc, ids: Iterable<string>): Clip {
  const picked = new Set(ids);
  return {
    format: 'siamese-studio.clip',
    nodes: structuredClone(doc.nodes.filter((n) => picked.has(n.id))),
    edges: structuredClone(doc.edges.filter((e) => picked.has(e.from.node) && picked.has(e.to.node))),
  };
}

/** Adds a clip's nodes (fresh ids, shifted by `offset`) with their internal wires. */
export function pasteClip(doc: GraphDoc, clip: Clip, offset: Position): { doc: GraphDoc; ids: string[] } {
  const taken = nodeIds(doc);
  const rename = new Map<string, string>();
  const nodes = clip.nodes.map((n) => {
    const id = freshId(n.id.replace(/-\d+$/, ''), taken);
    taken.add(id);
    rename.set(n.id, id);
    return { ...structuredClone(n), id, position: round({ x: n.position.x + offset.x, y: n.position.y + offset.y }) };
  });
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  const edges = clip.edges.flatMap((e) => {
    const fromNode = rename.get(e.from.node);
    const toNode = rename.get(e.to.node);
    if (!fromNode || !toNode) return [];
    const id = nextEdgeId(edgeIds);
    edgeIds.add(id);
    return [{ id, from: { node: fromNode, port: e.from.port }, to: { node: toNode, port: e.to.port } }];
  });
  return { doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}

const ClipSchema = z.strictObject({ format: z.literal('siamese-studio.clip'), nodes: z.array(NodeSchema).max(10_000), edges: z.array(EdgeSchema).max(100_000) });

/** Reads a clip from clipboard text (checked like a document's nodes and wires), or undefined when the text is not one. */
export function readClip(text: string): Clip | undefined {
  if (text.length > 5_000_000) return undefined;
  try {
    const r = ClipSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const same = (a: PortRef, b: PortRef) => a.node === b.node && a.port === b.port;
const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });
