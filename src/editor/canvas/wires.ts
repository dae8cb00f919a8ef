/**
 * The wires, drawn straight into the area's connection views: an SVG path
 * each, its ends following the nodes (socket-positions.ts). rete-vue-plugin
 * would mount two Vue components in an app of their own per wire and compute
 * each path twice through an async signal: a fifth of a 300-node import.
 * Solid tensor wires coloured like their sockets; `ema` weight wires dashed
 * (wires.css).
 */
import type { BaseAreaPlugin } from 'rete-area-plugin';
import { classicConnectionPath, loopConnectionPath } from 'rete-render-utils';
import type { Position } from '../document/edits';
import type { Schemes } from './scheme';
import type { GeometrySocketPositions } from './socket-positions';
import './wires.css';

/** rete-vue-plugin's classic preset's curvature and loop size: the same curves as before. */
const CURVATURE = 0.3;
const LOOP_SIZE = 120;
const SVG = 'http://www.w3.org/2000/svg';

/** What a connection's render signal carries: the wire, and a fixed end while one is being dragged. */
interface WireRender {
  element: HTMLElement;
  payload: { id: string; source: string; sourceOutput: string; target: string; targetInput: string; kind?: string; isLoop?: boolean };
  start?: Position;
  end?: Position;
}

interface Wire { path: SVGPathElement; start?: Position; end?: Position; fixedStart: boolean; fixedEnd: boolean; stop: () => void }

export function drawWires(area: BaseAreaPlugin<Schemes, any>, positions: GeometrySocketPositions) {
  const wires = new Map<HTMLElement, Wire>();

  function redraw(wire: Wire, isLoop: boolean | undefined) {
    if (!wire.start || !wire.end) return;
    const points: [Position, Position] = [wire.start, wire.end];
    wire.path.setAttribute('d', isLoop ? loopConnectionPath(points, CURVATURE, LOOP_SIZE) : classicConnectionPath(points, CURVATURE));
  }

  function render({ element, payload, start, end }: WireRender) {
    let wire = wires.get(element);
    if (!wire) {
      const svg = document.createElementNS(SVG, 'svg');
      svg.classList.add('wire');
      svg.dataset.testid = 'connection';
      svg.dataset.id = payload.id;
      if (payload.kind) svg.dataset.kind = payload.kind;
      const path = document.createElementNS(SVG, 'path');
      if (payload.kind) path.classList.add(payload.kind);
      svg.append(path);
      element.append(svg);
      const made: Wire = { path, fixedStart: Boolean(start), fixedEnd: Boolean(end), stop: () => undefined };
      wire = made;
      wires.set(element, made);
      // A dragged wire's loose end is given by each signal; a wired end follows its node.
      const follow = [
        made.fixedStart ? undefined : positions.listen(payload.source, 'output', payload.sourceOutput, (p) => { made.start = p; redraw(made, payload.isLoop); }),
        made.fixedEnd ? undefined : positions.listen(payload.target, 'input', payload.targetInput, (p) => { made.end = p; redraw(made, payload.isLoop); }),
      ];
      made.stop = () => follow.forEach((unlisten) => unlisten?.());
    }
    if (start) wire.start = start;
    if (end) wire.end = end;
    redraw(wire, payload.isLoop);
  }

  area.addPipe((context) => {
    if (context.type === 'render' && context.data.type === 'connection') render(context.data as WireRender);
    else if (context.type === 'unmount') {
      wires.get(context.data.element)?.stop();
      wires.delete(context.data.element);
    }
    return context;
  });
}
