/**
 * The Rete side of the projection: what a document node and wire look like on
 * the canvas. These objects are views — rebuilt from the document, never read
 * back as truth.
 */
import { ClassicPreset, type GetSchemes } from 'rete';
import type { GraphNode, SocketKind } from '../../graph';
import { catalog, type NodeKind } from '../../nodes';

/** One socket object per kind, so that a socket's name is its kind (colours, tooltips). */
const sockets = new Map<SocketKind, ClassicPreset.Socket>();
const socketFor = (kind: SocketKind) => {
  if (!sockets.has(kind)) sockets.set(kind, new ClassicPreset.Socket(kind));
  return sockets.get(kind)!;
};

/** Layout constants shared with nodes.ts: the node's size is known without measuring the DOM. */
export const NODE_WIDTH = 240;
/** nodes.ts's border: its rows start this far inside the node's box. */
export const NODE_BORDER = 2;
export const HEADER = 48;
export const ROW = 26;
/**
 * A node title's font size; Fit never zooms below the zoom that renders it at
 * TITLE_MIN_PX. Large and of regular weight, so that BYOL's longest titles fit
 * the width and the whole template fits a 1280×720 window's height at that zoom.
 */
export const TITLE_PX = 20;
/** A socket's diameter: centred on its node's edge. */
export const SOCKET = 20;
/** The sizes above as the custom properties of nodes.css: set once on the canvas, they reach every node. */
export const nodeStyle: Record<string, string> = {
  '--node-header-h': `${HEADER}px`, '--node-row-h': `${ROW}px`, '--node-title-size': `${TITLE_PX}px`, '--socket-size': `${SOCKET}px`,
};
export const TITLE_MIN_PX = 11;
/** The minimap's box in the canvas's bottom-right corner (CanvasMinimap.vue; Fit leaves it free), border included. */
export const MINIMAP = { width: 180, height: 60, margin: 8, border: 1 };
/** What the minimap draws in: its box inside the border (the graph is scaled to this, not to the outer box). */
export const MINIMAP_INSIDE = { width: MINIMAP.width - 2 * MINIMAP.border, height: MINIMAP.height - 2 * MINIMAP.border };

/** Where a port's socket sits below the node's top edge: outputs first, then inputs (as nodes.ts draws them). */
export function portOffsetY(kind: NodeKind<any>, side: 'input' | 'output', key: string): number {
  const row = side === 'output' ? kind.outputs.findIndex((p) => p.key === key) : kind.outputs.length + kind.inputs.findIndex((p) => p.key === key);
  return HEADER + ROW * row + ROW / 2;
}

/** A node's drawn height: its header and one row per port. */
export const nodeHeight = (kind: NodeKind<any>) => HEADER + ROW * (kind.inputs.length + kind.outputs.length) + 8;

/** A document node's drawn size, without the DOM (an unknown kind draws nothing: a nominal height). */
export const drawnSize = (node: GraphNode) => {
  const kind = catalog.get(node.type);
  return { width: NODE_WIDTH, height: kind ? nodeHeight(kind) : 80 };
};

export class StudioNode extends ClassicPreset.Node {
  width = NODE_WIDTH;
  height: number;
  selected = false;
  /** Inferred shape per port, `in:key` / `out:key` → `2×B×128`. */
  shapes: Record<string, string> = {};
  errors: string[] = [];
  warnings: string[] = [];

  constructor(readonly docId: string, readonly kind: NodeKind<any>, label: string) {
    super(label);
    this.id = docId;
    for (const p of kind.outputs) this.addOutput(p.key, new ClassicPreset.Output(socketFor(p.kind), p.label, true));
    for (const p of kind.inputs) this.addInput(p.key, new ClassicPreset.Input(socketFor(p.kind), p.label, true));
    this.height = nodeHeight(kind);
  }
}

export class StudioConnection extends ClassicPreset.Connection<StudioNode, StudioNode> {
  constructor(readonly edgeId: string, readonly kind: SocketKind, source: StudioNode, sourceOutput: string, target: StudioNode, targetInput: string) {
    super(source, sourceOutput as never, target, targetInput as never);
    this.id = edgeId;
  }
}

export type Schemes = GetSchemes<StudioNode, StudioConnection>;
