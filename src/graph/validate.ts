/**
 * validateGraph: every error and warning of docs/semantics.md "Validation",
 * and the inferred shape of every port. Errors block training; warnings
 * (likely collapse) do not.
 */
import { adjacency, findCycles, topologicalOrder } from './algorithms';
import { problemsFromIssues } from './issues';
import { traitsOf, type Catalog, type KindSpec, type NodeTraits, type PortShape, type LocalProblem } from './kinds';
import type { Problem } from './problems';
import type { GraphDoc, GraphEdge } from './schema';
import { checkGradientFlow } from './semantics';

export interface NodeShapes {
  inputs: Record<string, PortShape>;
  outputs: Record<string, PortShape>;
}

export interface Validation {
  /** No errors (warnings allowed). */
  ok: boolean;
  problems: Problem[];
  /** Inferred shapes per node id, for every node whose inputs could be inferred. */
  shapes: Map<string, NodeShapes>;
  /** Params after the kind's schema (defaults filled in), per node id. */
  params: Map<string, unknown>;
  /** The roles each node of a known kind plays (its kind's traits, for its params). */
  traits: Map<string, NodeTraits>;
  /** Nodes in dependency order (acyclic part). */
  order: string[];
  /** The wires that passed the checks. */
  wires: GraphEdge[];
}

export function validateGraph(doc: GraphDoc, catalog: Catalog): Validation {
  const problems: Problem[] = [];
  const index = new Map<string, number>();
  const kinds = new Map<string, KindSpec>();
  const params = new Map<string, unknown>();

  doc.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    if (index.has(node.id)) {
      problems.push(err('duplicate-id', `${at}.id`, `node id "${node.id}" is already used by nodes[${index.get(node.id)}]`, { node: node.id }));
      return;
    }
    index.set(node.id, i);
    const kind = catalog.get(node.type);
    if (!kind) {
      const known = catalog.kinds.map((k) => k.type).join(', ');
      problems.push(err('unknown-type', `${at}.type`, `unknown node type "${node.type}" (known: ${known})`, { node: node.id }));
      return;
    }
    kinds.set(node.id, kind);
    const parsed = kind.params.safeParse(node.params);
    if (parsed.success) params.set(node.id, parsed.data);
    else {
      problems.push(
        ...problemsFromIssues(parsed.error.issues, node.params, ['nodes', i, 'params'],
          (issue) => (issue.code === 'too_big' || issue.code === 'too_small' ? 'param-out-of-range' : 'param-invalid'),
          (issue) => ({ node: node.id, param: issue.path.length ? String(issue.path[0]) : undefined })),
      );
    }
  });

  const wires = checkEdges(doc, index, kinds, problems);
  const graph = adjacency([...index.keys()], wires.map((w) => ({ from: w.from.node, to: w.to.node })));
  for (const cycle of findCycles(graph)) {
    problems.push(err('cycle', `nodes[${index.get(cycle[0])}]`, `cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}`, { node: cycle[0], nodes: cycle }));
  }

  const incoming = new Map<string, GraphEdge>(wires.map((w) => [`${w.to.node}\u0000${w.to.port}`, w]));
  for (const [id, kind] of kinds) {
    for (const port of kind.inputs) {
      if (port.required && !incoming.has(`${id}\u0000${port.key}`)) {
        problems.push(err('unconnected-input', `nodes[${index.get(id)}]`, `required input "${port.key}" (${port.label}) is not connected`, { node: id, port: port.key }));
      }
    }
  }

  const { order } = topologicalOrder(graph);
  const shapes = new Map<string, NodeShapes>();
  for (const id of order) {
    const kind = kinds.get(id);
    if (!kind || !params.has(id)) continue;
    const inputs: Record<string, PortShape> = {};
    for (const port of kind.inputs) {
      const w = incoming.get(`${id}\u0000${port.key}`);
      const shape = w && shapes.get(w.from.node)?.outputs[w.from.port];
      if (shape) inputs[port.key] = shape;
    }
    const result = kind.infer({ params: params.get(id), inputs, batchSize: doc.training?.batchSize });
    const outputs: Record<string, PortShape> = {};
    for (const port of kind.outputs) {
      const shape = result.outputs[port.key];
      if (shape) outputs[port.key] = shape; // in declaration order, as the ports show
    }
    shapes.set(id, { inputs, outputs });
    for (const p of result.problems ?? []) problems.push(fromLocal(p, id, index.get(id)!));
  }

  const traits = new Map([...kinds].map(([id, kind]) => [id, traitsOf(kind, params.get(id))]));
  problems.push(...checkGradientFlow({ index, kinds, traits, wires, incoming }));
  return { ok: !problems.some((p) => p.severity === 'error'), problems, shapes, params, traits, order, wires };
}

function checkEdges(doc: GraphDoc, index: Map<string, number>, kinds: Map<string, KindSpec>, problems: Problem[]): GraphEdge[] {
  const edgeIds = new Set<string>();
  const taken = new Map<string, string>();
  const wires: GraphEdge[] = [];
  doc.edges.forEach((edge, i) => {
    const at = `edges[${i}]`;
    const e = { edge: edge.id };
    if (edgeIds.has(edge.id)) problems.push(err('duplicate-edge-id', `${at}.id`, `edge id "${edge.id}" is already used`, e));
    edgeIds.add(edge.id);
    let ok = true;
    for (const side of ['from', 'to'] as const) {
      const ref = edge[side];
      if (!index.has(ref.node)) {
        problems.push(err('missing-node', `${at}.${side}.node`, `${side === 'from' ? 'source' : 'target'} node "${ref.node}" does not exist`, { ...e, node: ref.node }));
        ok = false;
      }
    }
    if (!ok) return;
    const fromKind = kinds.get(edge.from.node);
    const toKind = kinds.get(edge.to.node);
    if (!fromKind || !toKind) return; // unknown type: reported on the node
    const out = fromKind.outputs.find((p) => p.key === edge.from.port);
    const inp = toKind.inputs.find((p) => p.key === edge.to.port);
    if (!out) {
      problems.push(portProblem(fromKind, edge.from, `${at}.from.port`, 'output', e));
      ok = false;
    }
    if (!inp) {
      problems.push(portProblem(toKind, edge.to, `${at}.to.port`, 'input', e));
      ok = false;
    }
    if (!out || !inp) return;
    if (out.kind !== inp.kind) {
      problems.push(err('incompatible-kinds', at,
        `${out.kind} → ${inp.kind}: incompatible kinds ("${edge.from.node}".${out.key} carries ${out.kind}, "${edge.to.node}".${inp.key} takes ${inp.kind})`,
        { ...e, node: edge.to.node, port: inp.key }));
      return;
    }
    const slot = `${edge.to.node}\u0000${edge.to.port}`;
    if (taken.has(slot)) {
      problems.push(err('multiple-inputs', at, `input "${inp.key}" of "${edge.to.node}" already has a wire ("${taken.get(slot)}")`, { ...e, node: edge.to.node, port: inp.key }));
      return;
    }
    taken.set(slot, edge.id);
    wires.push(edge);
  });
  return wires;
}

function portProblem(kind: KindSpec, ref: { node: string; port: string }, path: string, want: 'input' | 'output', extra: Partial<Problem>): Problem {
  const ports = want === 'output' ? kind.outputs : kind.inputs;
  const other = want === 'output' ? kind.inputs : kind.outputs;
  const names = ports.map((p) => p.key).join(', ') || 'none';
  if (other.some((p) => p.key === ref.port)) {
    return err('wrong-direction', path, `"${ref.port}" is an ${want === 'output' ? 'input' : 'output'} of "${ref.node}", not an ${want} (${want}s: ${names})`, { ...extra, node: ref.node, port: ref.port });
  }
  return err('unknown-port', path, `${kind.type} "${ref.node}" has no ${want} "${ref.port}" (${want}s: ${names})`, { ...extra, node: ref.node, port: ref.port });
}

function fromLocal(p: LocalProblem, node: string, i: number): Problem {
  const path = p.param ? `nodes[${i}].params.${p.param}` : `nodes[${i}]`;
  return { severity: p.severity ?? 'error', code: p.code, path, message: p.message, node, port: p.port, param: p.param };
}

export const err = (code: Problem['code'], path: string, message: string, extra: Partial<Problem> = {}): Problem =>
  ({ severity: 'error', code, path, message, ...extra });
