/**
 * Where wires end, from the node's geometry (scheme.ts) instead of the DOM.
 * Rete's DOM watcher measures every socket after it renders (a forced layout
 * each) and tells every wire about every socket's move: O(n²) while a
 * 300-node document is projected. A node's size is known without measuring,
 * so a wire's ends are its nodes' positions plus fixed offsets, and a move
 * tells only the wires of the node that moved.
 */
import type { NodeEditor } from 'rete';
import type { BaseAreaPlugin } from 'rete-area-plugin';
import type { FoldedEnds } from '../document/annotations';
import type { Position } from '../document/edits';
import { NODE_BORDER, NODE_WIDTH, portOffsetY, type Schemes, type StudioNode } from './scheme';

/** A wire ends this far outside its socket's centre, as Rete's DOM watcher draws it. */
const WIRE_GAP = 12;

type Side = 'input' | 'output';

/** A socket's wire end relative to its node's top-left corner. */
export function wireEndOffset(node: StudioNode, side: Side, key: string): Position {
  return { x: side === 'output' ? NODE_WIDTH + WIRE_GAP : -WIRE_GAP, y: NODE_BORDER + portOffsetY(node.kind, side, key) };
}

interface Listener { side: Side; key: string; change: (p: Position) => void }

export class GeometrySocketPositions {
  /** The wire ends that follow each node. */
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The nodes a collapsed group hides: their wires end on its frame instead. */
  private folded = new Map<string, FoldedEnds>();

  constructor(private readonly editor: NodeEditor<Schemes>, private readonly area: BaseAreaPlugin<Schemes, any>) {
    area.addPipe((context) => {
      if (context.type === 'nodetranslated') this.listeners.get(context.data.id)?.forEach((l) => this.tell(context.data.id, l));
      return context;
    });
  }

  /** Sets where the wires of hidden nodes end; the wires of every node whose ends changed are told. */
  fold(next: Map<string, FoldedEnds>) {
    const before = this.folded;
    this.folded = next;
    for (const id of new Set([...before.keys(), ...next.keys()])) {
      if (JSON.stringify(before.get(id)) !== JSON.stringify(next.get(id))) this.listeners.get(id)?.forEach((l) => this.tell(id, l));
    }
  }

  listen(nodeId: string, side: Side, key: string, change: (p: Position) => void) {
    const listener = { side, key, change };
    const set = this.listeners.get(nodeId) ?? new Set();
    this.listeners.set(nodeId, set.add(listener));
    this.tell(nodeId, listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(nodeId) === set) this.listeners.delete(nodeId);
    };
  }

  private tell(nodeId: string, { side, key, change }: Listener) {
    const node = this.editor.getNode(nodeId);
    const at = this.area.nodeViews.get(nodeId)?.position;
    if (!node || !at) return;
    const offset = this.folded.get(nodeId)?.[side] ?? wireEndOffset(node, side, key);
    change({ x: at.x + offset.x, y: at.y + offset.y });
  }
}
