/** Templates and edits on them, for tests that start from a known-good document. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseGraph, type GraphDoc, type GraphEdge } from '../../src/graph';

export const templatePath = (name: string) => fileURLToPath(new URL(`../../templates/${name}.json`, import.meta.url));
export const templateText = (name: string) => readFileSync(templatePath(name), 'utf8');

/** Every shipped template's name (file name without .json). */
export const templateNames = readdirSync(fileURLToPath(new URL('../../templates/', import.meta.url))).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

export function template(name: string): GraphDoc {
  const r = parseGraph(templateText(name));
  if (!r.ok) throw new Error(`template ${name} does not parse: ${JSON.stringify(r.errors)}`);
  return r.doc;
}

export const nodeIndex = (doc: GraphDoc, id: string) => {
  const i = doc.nodes.findIndex((n) => n.id === id);
  if (i < 0) throw new Error(`no node ${id}`);
  return i;
};

export const paramsOf = (doc: GraphDoc, id: string) => doc.nodes[nodeIndex(doc, id)].params as Record<string, unknown>;

export function wire(doc: GraphDoc, id: string, from: string, fromPort: string, to: string, toPort: string): GraphEdge {
  const edge = { id, from: { node: from, port: fromPort }, to: { node: to, port: toPort } };
  doc.edges.push(edge);
  return edge;
}

export const removeEdgesInto = (doc: GraphDoc, node: string, port?: string) => {
  doc.edges = doc.edges.filter((e) => !(e.to.node === node && (port === undefined || e.to.port === port)));
};

/** Removes a node and bridges its one input to every consumer of its output ("wire around it"). */
export function bypass(doc: GraphDoc, id: string, inPort = 'input', outPort = 'output') {
  const source = doc.edges.find((e) => e.to.node === id && e.to.port === inPort)!.from;
  doc.edges = doc.edges
    .filter((e) => e.to.node !== id)
    .map((e) => (e.from.node === id && e.from.port === outPort ? { ...e, from: { ...source } } : e))
    .filter((e) => e.from.node !== id);
  doc.nodes = doc.nodes.filter((n) => n.id !== id);
}

/** n copies of a document side by side (ids suffixed): a big, valid document. */
export function replicate(doc: GraphDoc, n: number): GraphDoc {
  const out: GraphDoc = { ...structuredClone(doc), nodes: [], edges: [] };
  for (let i = 0; i < n; i++) {
    for (const node of doc.nodes) out.nodes.push({ ...structuredClone(node), id: `${node.id}_${i}`, position: { x: node.position.x, y: node.position.y + i * 800 } });
    for (const e of doc.edges) out.edges.push({ id: `${e.id}_${i}`, from: { ...e.from, node: `${e.from.node}_${i}` }, to: { ...e.to, node: `${e.to.node}_${i}` } });
  }
  return out;
}
