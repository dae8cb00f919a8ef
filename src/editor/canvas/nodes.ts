/**
 * The nodes, drawn straight into the area's node views as plain elements:
 * title, kind, error/warning badge, and per port its label, inferred shape
 * and socket; hovering a port or socket says its kind, shape and what it
 * carries. rete-vue-plugin would mount a Vue app per node: on a 300-node
 * import, a third of the time to the first frame. Nodes are views of
 * StudioNode (scheme.ts): `area.update('node', id)` redraws what changed.
 *
 * The card is skipped by the browser while off screen (content-visibility,
 * nodes.css): otherwise the ~6,000 elements of a 300-node document cost a
 * forced layout at Fit. Sockets sit on the card's edges, half outside it, so
 * they are drawn beside the card, not in it: the browser clips hit-testing
 * inside a skippable element to its box. A socket is announced to the
 * connection plugin alone (drawNodes' `announce`), which drags wires from it;
 * where wires end comes from the node's geometry (socket-positions.ts).
 */
import type { BaseAreaPlugin } from 'rete-area-plugin';
import { shownText, socketMeaning } from '../../graph';
import { docTextElement } from '../components/doc-text';
import { NODE_BORDER, portOffsetY, SOCKET, type Schemes, type StudioNode } from './scheme';
import './nodes.css';

type Side = 'input' | 'output';
/** Where sockets are announced (render) and withdrawn (unmount), as Rete's signals. */
type SocketSignal = (signal: unknown) => void;
const SHAPE_KEY: Record<Side, string> = { input: 'in', output: 'out' };

/** What a port row and its socket say on hover. */
function tooltip(node: StudioNode, side: Side, key: string) {
  const port = (side === 'input' ? node.kind.inputs : node.kind.outputs).find((p) => p.key === key);
  if (!port) return '';
  const shape = node.shapes[`${SHAPE_KEY[side]}:${key}`];
  return `${port.label} (${side} "${key}"): ${port.kind}, ${shape ?? 'shape not known yet'}\n${socketMeaning[port.kind][side]}`;
}

function element(tag: string, className: string, testid?: string) {
  const el = document.createElement(tag);
  el.className = className;
  if (testid) el.dataset.testid = testid;
  return el;
}

interface Port { side: Side; key: string; row: HTMLElement; shape: HTMLElement; socket: HTMLElement }

/** One node's elements, and what changes on them. */
class NodeElement {
  readonly root = element('div', 'studio-node', 'node');
  private readonly title = element('span', 'title', 'title');
  private badge: HTMLElement | undefined;
  private readonly ports: Port[] = [];
  private shown = { label: '', problems: '' };

  constructor(private readonly node: StudioNode, private readonly announce: SocketSignal) {
    const { root, title } = this;
    root.dataset.id = node.id;
    root.dataset.type = node.kind.type;
    root.style.width = `${node.width}px`;
    root.style.height = `${node.height}px`;
    const card = element('div', 'card');
    const header = element('div', 'header');
    const kind = element('div', 'kind');
    kind.textContent = node.kind.title;
    header.append(title, kind);
    card.append(header);
    const sockets: HTMLElement[] = [];
    // Outputs first, then inputs: the rows portOffsetY counts.
    for (const side of ['output', 'input'] as const) {
      for (const [key, port] of Object.entries(side === 'output' ? node.outputs : node.inputs)) {
        if (!port) continue;
        const row = element('div', `port ${side}`, `${side}-${key}`);
        const label = element('span', 'port-label');
        label.textContent = port.label ?? '';
        const shape = element('span', 'shape', 'shape');
        row.append(label, shape);
        card.append(row);
        const socket = element('div', `socket ${side}-socket ${port.socket.name}`, `${side}-socket`);
        socket.dataset.port = key;
        socket.dataset.kind = port.socket.name;
        socket.style.top = `${NODE_BORDER + portOffsetY(node.kind, side, key) - SOCKET / 2}px`;
        sockets.push(socket);
        this.ports.push({ side, key, row, shape, socket });
        announce({ type: 'render', data: { type: 'socket', side, key, nodeId: node.id, payload: port.socket, element: socket, filled: true } });
      }
    }
    root.append(card, ...sockets);
    this.update();
  }

  /** Shows the node's current label, selection, problems and shapes. */
  update() {
    const { node, root } = this;
    root.classList.toggle('selected', node.selected);
    root.classList.toggle('has-errors', node.errors.length > 0);
    root.classList.toggle('has-warnings', node.warnings.length > 0);
    if (node.label !== this.shown.label) {
      this.title.replaceChildren(docTextElement(node.label));
      // A long label ends in an ellipsis on the card: hovering it shows it whole.
      this.title.title = shownText(node.label, 'none');
      this.shown.label = node.label;
    }
    const problems = JSON.stringify([node.errors, node.warnings]);
    if (problems !== this.shown.problems) {
      this.shown.problems = problems;
      this.badge?.remove();
      this.badge = undefined;
      const [kind, list] = node.errors.length ? ['error', node.errors] as const : ['warning', node.warnings] as const;
      if (list.length) {
        this.badge = element('span', `badge ${kind}`, `badge-${kind}`);
        this.badge.title = shownText(list.join('\n'), 'newline');
        this.badge.textContent = String(list.length);
        this.title.after(this.badge);
      }
    }
    for (const { side, key, row, shape, socket } of this.ports) {
      const text = node.shapes[`${SHAPE_KEY[side]}:${key}`] ?? '';
      if (shape.textContent === text && row.title) continue;
      shape.textContent = text;
      row.title = socket.title = tooltip(node, side, key);
    }
  }

  destroy() {
    for (const { socket } of this.ports) this.announce({ type: 'unmount', data: { element: socket } });
    this.root.remove();
  }
}

/** Draws every node the area renders, and forgets it when the area unmounts it; `announce` is told of each socket. */
export function drawNodes(area: BaseAreaPlugin<Schemes, any>, announce: SocketSignal) {
  const drawn = new Map<HTMLElement, NodeElement>();
  area.addPipe((context) => {
    if (context.type === 'render' && context.data.type === 'node') {
      const { element: view, payload } = context.data as { element: HTMLElement; payload: StudioNode };
      const existing = drawn.get(view);
      if (existing) existing.update();
      else {
        const made = new NodeElement(payload, announce);
        view.append(made.root);
        drawn.set(view, made);
      }
    } else if (context.type === 'unmount') {
      drawn.get(context.data.element)?.destroy();
      drawn.delete(context.data.element);
    }
    return context;
  });
}
