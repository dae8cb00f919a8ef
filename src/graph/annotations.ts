/**
 * The canvas's notes and groups (format v2): what their schema cannot say —
 * a group names nodes of the document, each node in one group at most, and
 * no two notes or groups share an id. Broken references refuse the document,
 * as a broken structure does; nothing of this is trained (./trained).
 */
import type { Problem } from './problems';
import type { GraphDoc } from './schema';

const refusal = (path: string, message: string): Problem => ({ severity: 'error', code: 'structure', path, message });

export function annotationProblems(doc: GraphDoc): Problem[] {
  const out: Problem[] = [];
  const ids = new Map<string, string>();
  const claim = (id: string, path: string) => {
    const first = ids.get(id);
    if (first) out.push(refusal(path, `"${id}" is already the id of ${first}`));
    else ids.set(id, path.replace(/\.id$/, ''));
  };
  (doc.notes ?? []).forEach((n, i) => claim(n.id, `notes[${i}].id`));
  const nodes = new Set(doc.nodes.map((n) => n.id));
  const groupOf = new Map<string, string>();
  (doc.groups ?? []).forEach((g, i) => {
    claim(g.id, `groups[${i}].id`);
    g.nodes.forEach((id, j) => {
      const path = `groups[${i}].nodes[${j}]`;
      const owner = groupOf.get(id);
      if (!nodes.has(id)) out.push(refusal(path, `names no node of the document ("${id}")`));
      else if (owner === g.id) out.push(refusal(path, `names node "${id}" twice`));
      else if (owner !== undefined) out.push(refusal(path, `node "${id}" is already in group "${owner}": a node belongs to one group at most`));
      else groupOf.set(id, g.id);
    });
  });
  return out;
}
