/**
 * Edits of the canvas's notes and groups (format v2): pure functions from one
 * GraphDoc to the next, as ./edits are; the store makes each one undo step.
 * A list left empty is dropped, so the document reads as one without any.
 * No Vue, no Rete: tested in Node.
 */
import type { GraphDoc, GraphGroup, GraphNode, GraphNote } from '../../graph';
import type { Position } from './edits';
import { freshId } from './ids';

/** Room around a group's nodes, and its title bar above them (canvas pixels). */
export const GROUP_PAD = 24;
export const GROUP_TITLE = 36;

const withNotes = (doc: GraphDoc, notes: GraphNote[]): GraphDoc => ({ ...doc, notes: notes.length ? notes : undefined });
const withGroups = (doc: GraphDoc, groups: GraphGroup[]): GraphDoc => ({ ...doc, groups: groups.length ? groups : undefined });
const takenIds = (doc: GraphDoc) => new Set([...(doc.notes ?? []), ...(doc.groups ?? [])].map((a) => a.id));
const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

export function addNote(doc: GraphDoc, at: Position, text = ''): { doc: GraphDoc; id: string } {
  const id = freshId('note', takenIds(doc));
  return { doc: withNotes(doc, [...(doc.notes ?? []), { id, text, position: round(at) }]), id };
}

/** Same document back when nothing changes: the store then records no undo step. */
export function updateNote(doc: GraphDoc, id: string, patch: Partial<Pick<GraphNote, 'text' | 'position'>>): GraphDoc {
  const note = doc.notes?.find((n) => n.id === id);
  if (!note) return doc;
  const next = { ...note, ...patch, position: round(patch.position ?? note.position) };
  if (next.text === note.text && next.position.x === note.position.x && next.position.y === note.position.y) return doc;
  return withNotes(doc, doc.notes!.map((n) => (n.id === id ? next : n)));
}

export const removeNote = (doc: GraphDoc, id: string): GraphDoc => withNotes(doc, (doc.notes ?? []).filter((n) => n.id !== id));

/** Groups the nodes (taking them out of the groups they were in), or says why not. */
export function addGroup(doc: GraphDoc, nodeIds: readonly string[], title = 'Group'): { doc: GraphDoc; id: string } | { refused: string } {
  const known = new Set(doc.nodes.map((n) => n.id));
  const members = [...new Set(nodeIds)].filter((id) => known.has(id));
  if (!members.length) return { refused: 'select the nodes to group first' };
  const id = freshId('group', takenIds(doc));
  const rest = ungroupNodes(doc, members);
  return { doc: withGroups(rest, [...(rest.groups ?? []), { id, title, nodes: members }]), id };
}

export function updateGroup(doc: GraphDoc, id: string, patch: { title?: string; collapsed?: boolean }): GraphDoc {
  const group = doc.groups?.find((g) => g.id === id);
  if (!group) return doc;
  const title = patch.title ?? group.title;
  const collapsed = patch.collapsed ?? group.collapsed ?? false;
  if (title === group.title && collapsed === (group.collapsed ?? false)) return doc;
  // Absent while open: the canonical text of an open group has no "collapsed".
  const next: GraphGroup = collapsed ? { id, title, collapsed, nodes: group.nodes } : { id, title, nodes: group.nodes };
  return withGroups(doc, doc.groups!.map((g) => (g.id === id ? next : g)));
}

/** Removes the group; its nodes stay where they are. */
export const removeGroup = (doc: GraphDoc, id: string): GraphDoc => withGroups(doc, (doc.groups ?? []).filter((g) => g.id !== id));

/** Takes the nodes out of their groups; a group left with none is removed (a group holds at least one node). */
export function ungroupNodes(doc: GraphDoc, ids: Iterable<string>): GraphDoc {
  if (!doc.groups) return doc;
  const gone = new Set(ids);
  return withGroups(doc, doc.groups.map((g) => ({ ...g, nodes: g.nodes.filter((n) => !gone.has(n)) })).filter((g) => g.nodes.length > 0));
}

/** Moves a group by (dx, dy): every node in it moves with it. */
export function moveGroup(doc: GraphDoc, id: string, by: Position): GraphDoc {
  const members = new Set(doc.groups?.find((g) => g.id === id)?.nodes ?? []);
  if (!members.size || (Math.round(by.x) === 0 && Math.round(by.y) === 0)) return doc;
  return { ...doc, nodes: doc.nodes.map((n) => (members.has(n.id) ? { ...n, position: round({ x: n.position.x + by.x, y: n.position.y + by.y }) } : n)) };
}

/** The ids of the nodes a collapsed group hides. */
export const hiddenNodes = (doc: GraphDoc): Set<string> => new Set((doc.groups ?? []).filter((g) => g.collapsed).flatMap((g) => g.nodes));

/** Of `ids`, the nodes the canvas shows: what may be selected (and so deleted or copied); a collapsed group's nodes are not. */
export function selectableNodes(doc: GraphDoc, ids: Iterable<string>): string[] {
  const hidden = hiddenNodes(doc);
  const known = new Set(doc.nodes.map((n) => n.id));
  return [...new Set(ids)].filter((id) => known.has(id) && !hidden.has(id));
}

export interface Box { left: number; top: number; width: number; height: number }

/** Where the wires of a node a collapsed group hides end, relative to the node's position (so they follow it while the group is dragged). */
export interface FoldedEnds { group: string; input: Position; output: Position }

/**
 * A collapsed group still shows what its nodes are wired to: a wire into a
 * hidden node ends at the middle of the title bar's left edge, one out of it
 * starts at the right edge. (A wire between two nodes of the same collapsed
 * group is not drawn at all.)
 */
export function foldedWireEnds(doc: GraphDoc, sizeOf: (node: GraphNode) => { width: number; height: number }): Map<string, FoldedEnds> {
  const ends = new Map<string, FoldedEnds>();
  for (const group of doc.groups ?? []) {
    if (!group.collapsed) continue;
    const frame = groupFrame(doc, group, sizeOf);
    const middle = frame.top + frame.height / 2;
    for (const node of doc.nodes) {
      if (!group.nodes.includes(node.id)) continue;
      const { x, y } = node.position;
      ends.set(node.id, { group: group.id, input: { x: frame.left - x, y: middle - y }, output: { x: frame.left + frame.width - x, y: middle - y } });
    }
  }
  return ends;
}

/** A group's frame in canvas coordinates: around its nodes (`sizeOf` says how big each is drawn), the title bar above; collapsed, the title bar alone. */
export function groupFrame(doc: GraphDoc, group: GraphGroup, sizeOf: (node: GraphNode) => { width: number; height: number }): Box {
  const members = new Set(group.nodes);
  const boxes = doc.nodes.filter((n) => members.has(n.id)).map((n) => {
    const size = sizeOf(n);
    return { left: n.position.x, top: n.position.y, right: n.position.x + size.width, bottom: n.position.y + size.height };
  });
  const left = Math.min(...boxes.map((b) => b.left)) - GROUP_PAD;
  const top = Math.min(...boxes.map((b) => b.top)) - GROUP_PAD - GROUP_TITLE;
  const width = Math.max(...boxes.map((b) => b.right)) + GROUP_PAD - left;
  const height = group.collapsed ? GROUP_TITLE : Math.max(...boxes.map((b) => b.bottom)) + GROUP_PAD - top;
  return { left, top, width, height };
}
