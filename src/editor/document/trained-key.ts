/**
 * What training computes from a document, as one string: node ids, types and
 * params, the wires, the `training` block. A node's name (label), position,
 * the document's name and description are left out: changing them changes
 * nothing that is trained, so a run of the graph is not stale after them.
 * (The CLI's resume check compares the same parts: src/cli/graph-changes.ts.)
 */
import { canonicalJson, type GraphDoc } from '../../graph';

export function trainedKey(doc: GraphDoc): string {
  const wire = (e: GraphDoc['edges'][number]) => `${e.from.node}.${e.from.port}>${e.to.node}.${e.to.port}`;
  return canonicalJson({
    nodes: doc.nodes.map((n) => [n.id, n.type, n.params]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    edges: doc.edges.map(wire).sort(),
    training: doc.training,
  });
}
