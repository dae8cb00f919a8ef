/**
 * What differs between two runs' trained parts, in words: nodes removed,
 * added or retyped, params, rewired inputs, training fields. Only what
 * graph/trained.ts counts as trained is compared (labels, positions, notes,
 * groups, name and description are not). Nodes are matched by id first, then
 * the rest by kind in topological order, so a copy whose ids were renamed
 * still gives the short true diff.
 */
import { adjacency, canonicalJson, topologicalOrder, type GraphDoc, type GraphNode, type TrainingSettings } from '../../graph';

/** The phrases saying how `after` differs from `before` (empty: they train the same). */
export function describeDifferences(before: GraphDoc, after: GraphDoc, trainingBefore: TrainingSettings = before.training, trainingAfter: TrainingSettings = after.training): string[] {
  const match = matchNodes(before, after);
  const name = nodeName;
  const params: string[] = [];
  const inputsBefore = inputsOf(before);
  const inputsAfter = inputsOf(after);
  const beforeNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const afterNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const removed = before.nodes.filter((n) => !match.has(n.id));
  const matchedAfter = new Set(match.values());
  const bypassed = new Map<string, string[]>();
  const rewired: string[] = [];
  for (const [idBefore, idAfter] of match) {
    const a = beforeNodes.get(idBefore)!;
    const b = afterNodes.get(idAfter)!;
    const shown = name(after, b);
    if (a.type !== b.type) params.push(`${name(before, a)} replaced by ${b.type}`);
    else diffValues(shown, a.params, b.params, params);
    for (const port of new Set([...inputsBefore.portsOf(idBefore), ...inputsAfter.portsOf(idAfter)])) {
      const was = inputsBefore.sources(idBefore, port);
      const now = inputsAfter.sources(idAfter, port);
      const wasInAfterIds = was.map((s) => ({ ...s, node: match.get(s.node) }));
      if (canonicalJson(wasInAfterIds.map(key).sort()) === canonicalJson(now.map(key).sort())) continue;
      const showSources = (doc: GraphDoc, nodes: Map<string, GraphNode>, list: Array<{ node: string }>) =>
        list.length ? list.map((s) => name(doc, nodes.get(s.node)!)).join(' + ') : 'nothing';
      // a removed node whose own input now feeds this port directly was bypassed: say it with its removal
      const gone = was.length === 1 && !match.has(was[0].node) ? was[0].node : undefined;
      const through = gone ? inputsBefore.all(gone).map((s) => ({ ...s, node: match.get(s.node) })) : [];
      if (gone && through.length === 1 && now.length === 1 && key(through[0]) === key(now[0])) {
        bypassed.set(gone, [...(bypassed.get(gone) ?? []), `${shown} ${port} now from ${showSources(after, afterNodes, now)}`]);
      } else {
        rewired.push(`${shown} ${port}: from ${showSources(before, beforeNodes, was)} → from ${showSources(after, afterNodes, now)}`);
      }
    }
  }
  const out = removed.map((n) => {
    const via = bypassed.get(n.id);
    return `${name(before, n)} removed${via ? ` (${via.join('; ')})` : ''}`;
  });
  out.push(...after.nodes.filter((n) => !matchedAfter.has(n.id)).map((n) => `${name(after, n)} added`), ...params, ...rewired);
  diffValues('', trainingBefore, trainingAfter, out, trainingName);
  return out;
}

/** before id → after id: equal ids of equal kind first, then the rest by kind in topological order. */
export function matchNodes(before: GraphDoc, after: GraphDoc): Map<string, string> {
  const match = new Map<string, string>();
  const afterById = new Map(after.nodes.map((n) => [n.id, n]));
  for (const n of before.nodes) if (afterById.get(n.id)?.type === n.type) match.set(n.id, n.id);
  const taken = new Set(match.values());
  const restBefore = inTopologicalOrder(before).filter((n) => !match.has(n.id));
  const restAfter = inTopologicalOrder(after).filter((n) => !taken.has(n.id));
  for (const n of restBefore) {
    const i = restAfter.findIndex((m) => m.type === n.type);
    if (i < 0) continue;
    match.set(n.id, restAfter[i].id);
    restAfter.splice(i, 1);
  }
  // same id, another kind, nothing else to pair with: the node was replaced
  for (const n of before.nodes) if (!match.has(n.id) && afterById.has(n.id) && !new Set(match.values()).has(n.id)) match.set(n.id, n.id);
  return match;
}

function inTopologicalOrder(doc: GraphDoc): GraphNode[] {
  const g = adjacency(doc.nodes.map((n) => n.id), doc.edges.map((e) => ({ from: e.from.node, to: e.to.node })));
  const { order, blocked } = topologicalOrder(g);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return [...order, ...blocked].map((id) => byId.get(id)!);
}

/** A node by its kind where the kind is unique in its graph, else kind and id. */
function nodeName(doc: GraphDoc, n: GraphNode): string {
  return doc.nodes.filter((m) => m.type === n.type).length === 1 ? n.type : `${n.type} "${n.id}"`;
}

interface Source { node: string; port: string }
/** A source as a string; its node undefined where it has no match on the other side. */
const key = (s: { node: string | undefined; port: string }) => `${s.node ?? '?'}.${s.port}`;

function inputsOf(doc: GraphDoc) {
  const byTarget = new Map<string, Map<string, Source[]>>();
  for (const e of doc.edges) {
    const ports = byTarget.get(e.to.node) ?? new Map<string, Source[]>();
    byTarget.set(e.to.node, ports);
    ports.set(e.to.port, [...(ports.get(e.to.port) ?? []), { node: e.from.node, port: e.from.port }]);
  }
  const sorted = (list: Source[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
  return {
    portsOf: (id: string) => [...(byTarget.get(id)?.keys() ?? [])],
    sources: (id: string, port: string) => sorted(byTarget.get(id)?.get(port) ?? []),
    all: (id: string) => sorted([...(byTarget.get(id)?.values() ?? [])].flat()),
  };
}

/** The training fields as people say them; others by their path. */
const TRAINING_NAMES: Record<string, string> = {
  batchSize: 'batch', steps: 'steps', seed: 'seed',
  'optimizer.type': 'optimizer', 'optimizer.lr': 'lr', 'optimizer.weightDecay': 'weight decay', 'optimizer.momentum': 'momentum',
  'schedule.warmupSteps': 'warmup steps', 'schedule.decay': 'lr decay',
};
const trainingName = (path: string) => TRAINING_NAMES[path] ?? `training ${path}`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf differences of two values as "where a → b"; `where` names a path ('' the root). */
function diffValues(
  prefix: string,
  a: unknown,
  b: unknown,
  out: string[],
  where = (path: string) => `${prefix} ${path}`,
  path = '',
): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffValues(prefix, a[k], b[k], out, where, path ? `${path}.${k}` : k);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some(isRecord)) {
    a.forEach((x, i) => diffValues(prefix, x, b[i], out, where, `${path}[${i}]`));
    return;
  }
  out.push(`${where(path)} ${show(a)} → ${show(b)}`);
}

function show(v: unknown): string {
  if (v === undefined) return 'absent';
  if (typeof v === 'string') return v.length > 40 ? `${v.slice(0, 39)}…` : v;
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
