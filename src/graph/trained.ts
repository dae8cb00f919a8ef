/**
 * What training computes from a document: node ids, types and params, the
 * wires and the `training` block. A node's label and position, the
 * document's name and description, and its notes and groups (the canvas's
 * annotations) change nothing that is trained, so they
 * are left out — of the editor's "is this run stale?" key and of the CLI's
 * "is this resume another graph?" comparison alike.
 */
import { canonicalJson } from './serialize';
import type { GraphDoc } from './schema';

const wireOf = (e: GraphDoc['edges'][number]) => `${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port}`;

/** The trained parts as one string: equal exactly when the two documents train the same. */
export function trainedKey(doc: GraphDoc): string {
  return canonicalJson({
    nodes: doc.nodes.map((n) => [n.id, n.type, n.params]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    edges: doc.edges.map(wireOf).sort(),
    training: doc.training,
  });
}

/** What differs in the trained parts, as short phrases, at most `limit` (then "… and N more"). */
export function graphChanges(before: GraphDoc, after: GraphDoc, limit = 4): string[] {
  const out: string[] = [];
  const nodesBefore = new Map(before.nodes.map((n) => [n.id, n]));
  const nodesAfter = new Map(after.nodes.map((n) => [n.id, n]));
  for (const [id, a] of nodesBefore) {
    const b = nodesAfter.get(id);
    if (!b) out.push(`node "${id}" removed`);
    else if (a.type !== b.type) out.push(`node "${id}": type ${a.type} → ${b.type}`);
    else diffValues(`node "${id}" params`, a.params, b.params, out);
  }
  for (const id of nodesAfter.keys()) if (!nodesBefore.has(id)) out.push(`node "${id}" added`);
  const wiresBefore = new Set(before.edges.map(wireOf));
  const wiresAfter = new Set(after.edges.map(wireOf));
  for (const w of wiresBefore) if (!wiresAfter.has(w)) out.push(`wire ${w} removed`);
  for (const w of wiresAfter) if (!wiresBefore.has(w)) out.push(`wire ${w} added`);
  diffValues('training', before.training, after.training, out);
  return out.length > limit ? [...out.slice(0, limit), `… and ${out.length - limit} more`] : out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function diffValues(path: string, a: unknown, b: unknown, out: string[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diffValues(`${path}.${key}`, a[key], b[key], out);
    return;
  }
  out.push(`${path}: ${show(a)} → ${show(b)}`);
}

function show(v: unknown): string {
  if (v === undefined) return 'absent';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
