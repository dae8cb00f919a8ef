/**
 * serializeGraph: the one canonical text of a document. The envelope keeps a
 * fixed key order (ids and types first, as people read them); inside `params`
 * and `training` keys are sorted, a union's discriminator (type, arch, source) first. Short flat arrays and objects stay on one
 * line. So parse → serialize is byte-stable, and diffs of documents are small.
 */
import type { GraphDoc } from './schema';

const ORDER: Record<string, readonly string[]> = {
  doc: ['format', 'version', 'name', 'description', 'nodes', 'edges', 'notes', 'groups', 'training'],
  node: ['id', 'type', 'label', 'params', 'position'],
  note: ['id', 'text', 'position'],
  group: ['id', 'title', 'collapsed', 'nodes'],
  edge: ['id', 'from', 'to'],
  ref: ['node', 'port'],
  position: ['x', 'y'],
};

/** The key order at a place in the document; undefined means "sorted". */
function orderFor(path: readonly string[]): readonly string[] | undefined {
  const at = path.join('/');
  if (at === '') return ORDER.doc;
  if (at === 'nodes/*') return ORDER.node;
  if (at === 'nodes/*/position' || at === 'notes/*/position') return ORDER.position;
  if (at === 'notes/*') return ORDER.note;
  if (at === 'groups/*') return ORDER.group;
  if (at === 'edges/*') return ORDER.edge;
  if (at === 'edges/*/from' || at === 'edges/*/to') return ORDER.ref;
  return undefined;
}

const INLINE_WIDTH = 72;

export function serializeGraph(doc: GraphDoc): string {
  return `${write(doc, [], '')}\n`;
}

function write(value: unknown, path: string[], indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value === undefined ? null : value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const flat = inlineForm(value);
    if (flat) return flat;
    const items = value.map((v) => inner + write(v, [...path, '*'], inner));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = orderedKeys(record, orderFor(path));
  if (keys.length === 0) return '{}';
  const flat = inlineForm(record, keys);
  if (flat) return flat;
  const items = keys.map((k) => `${inner}${JSON.stringify(k)}: ${write(record[k], [...path, k], inner)}`);
  return `{\n${items.join(',\n')}\n${indent}}`;
}

const DISCRIMINATORS = ['type', 'arch', 'source'];

function orderedKeys(record: Record<string, unknown>, order: readonly string[] | undefined): string[] {
  const present = Object.keys(record).filter((k) => record[k] !== undefined);
  if (!order) {
    const first = DISCRIMINATORS.filter((k) => present.includes(k));
    return [...first, ...present.filter((k) => !DISCRIMINATORS.includes(k)).sort()];
  }
  const known = order.filter((k) => present.includes(k));
  return [...known, ...present.filter((k) => !order.includes(k)).sort()];
}

/** One line, when every member is a primitive and the line stays short. */
function inlineForm(value: unknown[] | Record<string, unknown>, keys?: string[]): string | undefined {
  const members = keys ? keys.map((k) => (value as Record<string, unknown>)[k]) : (value as unknown[]);
  if (members.some((m) => m !== null && typeof m === 'object')) return undefined;
  const text = keys
    ? `{ ${keys.map((k, i) => `${JSON.stringify(k)}: ${JSON.stringify(members[i])}`).join(', ')} }`
    : `[${members.map((m) => JSON.stringify(m)).join(', ')}]`;
  return text.length <= INLINE_WIDTH ? text : undefined;
}

/** Compact JSON with sorted keys: equal values give equal strings (architecture signatures). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}
