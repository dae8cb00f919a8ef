/**
 * Auto-arrange: a left-to-right layered layout by ELK (elkjs), loaded only
 * when asked for so that it does not weigh on the first load.
 */
import type { GraphDoc } from '../../graph';
import type { Position } from './edits';

export interface Size { width: number; height: number }

export async function arrange(doc: GraphDoc, sizes: ReadonlyMap<string, Size>): Promise<Map<string, Position>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const ids = new Set(doc.nodes.map((n) => n.id));
  const laid = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
    },
    children: doc.nodes.map((n) => ({ id: n.id, width: sizes.get(n.id)?.width ?? 230, height: sizes.get(n.id)?.height ?? 120 })),
    edges: doc.edges
      .filter((e) => e.from.node !== e.to.node && ids.has(e.from.node) && ids.has(e.to.node))
      .map((e) => ({ id: e.id, sources: [e.from.node], targets: [e.to.node] })),
  });
  return new Map((laid.children ?? []).map((c) => [c.id, { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) }]));
}
