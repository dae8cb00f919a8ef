/**
 * The Rete canvas as a projection of the document. `sync()` makes the canvas
 * show the document; gestures on the canvas become calls on the host (which
 * edits the document), never edits of Rete's objects. Rete's own structural
 * changes (a plugin removing a wire, say) are refused unless they come from
 * `sync()`.
 */
import { defineAsyncComponent } from 'vue';
import { NodeEditor } from 'rete';
import { AreaExtensions, AreaPlugin, Drag } from 'rete-area-plugin';
import { ClassicFlow, ConnectionPlugin, getSourceTarget, type SocketData } from 'rete-connection-plugin';
import { ContextMenuPlugin, type ContextMenuExtra } from 'rete-context-menu-plugin';
import { MinimapPlugin, type MinimapExtra } from 'rete-minimap-plugin';
import { VuePlugin, type RenderPreset, type VueArea2D } from 'rete-vue-plugin';
import { formatShape, problemLine, type GraphDoc, type PortRef, type Validation } from '../../graph';
import { catalog, nodeKinds } from '../../nodes';
import { foldedWireEnds, hiddenNodes } from '../document/annotations';
import type { Position, WireEnd } from '../document/edits';
import CanvasMinimap from './CanvasMinimap.vue';
import { drawnSize, MINIMAP, MINIMAP_INSIDE, nodeStyle, StudioConnection, StudioNode, TITLE_MIN_PX, TITLE_PX, type Schemes } from './scheme';
import { boxSelect } from './box-select';
import { scrollToPan } from './scroll-to-pan';
import { fitTransform } from './fit';
import { useNativeSignals } from './native-signal';
import { GeometrySocketPositions } from './socket-positions';
import { drawNodes } from './nodes';
import { drawWires } from './wires';

type AreaExtra = VueArea2D<Schemes> | ContextMenuExtra | MinimapExtra;

/** What the canvas asks of the document's owner. */
export interface CanvasHost {
  select(ids: string[]): void;
  /** Returns why the wire is refused, or undefined when it was made. */
  connect(from: PortRef, to: PortRef): string | undefined;
  moveNodes(positions: Map<string, Position>): void;
  addNode(type: string, at: Position): void;
  addNote(at: Position): void;
  /** Groups the selected nodes (the host says why not, when none are). */
  groupSelection(): void;
  removeNodes(ids: string[]): void;
  removeEdges(ids: string[]): void;
  refused(message: string): void;
  viewportChanged(transform: { x: number; y: number; k: number }): void;
  /** Opens node search: `at` in canvas coordinates, `screen` in the container's pixels; `wire` when a wire was dropped there. */
  search(request: { at: Position; screen: Position; wire?: WireEnd }): void;
}

export interface CanvasState {
  doc: GraphDoc;
  validation: Validation;
  selection: readonly string[];
}

useNativeSignals();

export async function createCanvas(container: HTMLElement, host: CanvasHost) {
  const editor = new NodeEditor<Schemes>();
  const area = new AreaPlugin<Schemes, AreaExtra>(container);
  const connection = new ConnectionPlugin<Schemes, AreaExtra>();
  const render = new VuePlugin<Schemes, AreaExtra>();
  let selection = new Set<string>();
  /** >0 while sync() changes Rete's structure; other structural changes are refused. */
  let syncing = 0;
  /** Nodes being moved by the projection or as followers of a multi-node drag: not user moves. */
  const programmatic = new Set<string>();
  /**
   * The node the user holds (nodepicked until nodedragged): only its moves are followed by the
   * rest of the selection. A new node's first placement (or any move not under the pointer) taken
   * as a drag once moved the selection after an undo, each follower's move then taken as a drag
   * in turn: moves without end, the page frozen.
   */
  let held: string | undefined;

  const contextMenu = new ContextMenuPlugin<Schemes>({
    items(context) {
      if (context === 'root') {
        const at = { ...area.area.pointer };
        const annotate = [
          { label: 'Add a note here (N)', key: 'add-note', handler: () => host.addNote(at) },
          { label: 'Group the selected nodes (G)', key: 'add-group', handler: () => host.groupSelection() },
        ];
        return { searchBar: true, list: [...annotate, ...nodeKinds.map((k) => ({ label: k.title, key: k.type, handler: () => host.addNode(k.type, at) }))] };
      }
      if ('source' in context) return { searchBar: false, list: [{ label: 'Delete wire', key: 'delete-wire', handler: () => host.removeEdges([context.id]) }] };
      const ids = selection.has(context.id) ? [...selection] : [context.id];
      return { searchBar: false, list: [
        { label: ids.length > 1 ? `Delete ${ids.length} nodes` : 'Delete', key: 'delete', handler: () => host.removeNodes(ids) },
        { label: ids.length > 1 ? `Group ${ids.length} nodes` : 'Group', key: 'group', handler: () => { host.select(ids); host.groupSelection(); } },
      ] };
    },
  });

  const socketPositions = new GeometrySocketPositions(editor, area);
  // Nodes (./nodes) and wires (./wires) are plain elements; Vue draws the context menu and the minimap.
  // Sockets are announced to the connection plugin alone (it starts a wire's drag from them): through the
  // area, each of a 300-node document's ~900 sockets took a trip through every plugin's async pipes.
  drawNodes(area, (signal) => void connection.emit(signal as never));
  drawWires(area, socketPositions);
  render.addPreset(contextMenuPreset);
  render.addPreset(minimapPreset);
  connection.addPreset(() => new ClassicFlow<Schemes, []>({
    makeConnection(from: SocketData, to: SocketData) {
      const [source, target] = getSourceTarget(from, to) ?? [];
      if (!source || !target) return false;
      const refusal = host.connect({ node: source.nodeId, port: source.key }, { node: target.nodeId, port: target.key });
      if (refusal) host.refused(refusal);
      return !refusal;
    },
  }));

  editor.use(area);
  area.use(connection);
  area.use(render);
  area.use(contextMenu);
  area.use(new FrameMinimap({ boundViewport: true, ratio: MINIMAP_INSIDE.width / MINIMAP_INSIDE.height, minDistance: 1000 }));
  let minimapShown = true;
  AreaExtensions.simpleNodesOrder(area);
  for (const [property, value] of Object.entries(nodeStyle)) container.style.setProperty(property, value);
  // The notes and groups (CanvasAnnotations.vue) live in the transformed content, behind the nodes.
  const annotations = document.createElement('div');
  annotations.className = 'canvas-annotations';
  annotations.dataset.testid = 'annotations';
  annotations.style.position = 'absolute';
  area.area.content.holder.prepend(annotations);

  editor.addPipe((context) => {
    if (!syncing && (context.type === 'nodecreate' || context.type === 'noderemove' || context.type === 'connectioncreate' || context.type === 'connectionremove')) return;
    return context;
  });

  // Shift+drag on the background draws a selection box instead of panning.
  area.area.setDragHandler(new Drag({ down: (e) => !(e.pointerType === 'mouse' && e.button !== 0) && !e.shiftKey, move: () => true }));
  // Nodes a collapsed group hides are not box-selected.
  const shown = () => editor.getNodes().filter((n) => area.nodeViews.get(n.id)?.element.style.display !== 'none');
  const box = boxSelect(container, area, shown, (ids) => host.select([...selection, ...ids]));
  const stopScrollToPan = scrollToPan(container, area);

  area.addPipe((context) => {
    switch (context.type) {
      case 'zoom':
        if (context.data.source === 'dblclick') return; // a double-click opens node search instead
        break;
      case 'nodepicked': {
        const { id } = context.data;
        held = id;
        const shift = lastPointer?.shiftKey ?? false;
        if (shift) host.select(selection.has(id) ? [...selection].filter((s) => s !== id) : [...selection, id]);
        else if (!selection.has(id)) host.select([id]);
        break;
      }
      case 'nodetranslated': {
        const { id, position, previous } = context.data;
        if (id !== held || programmatic.has(id) || !selection.has(id)) break;
        const dx = position.x - previous.x;
        const dy = position.y - previous.y;
        for (const other of selection) {
          const view = area.nodeViews.get(other);
          if (other === id || !view) continue;
          programmatic.add(other);
          void area.translate(other, { x: view.position.x + dx, y: view.position.y + dy }).finally(() => programmatic.delete(other));
        }
        break;
      }
      case 'nodedragged': {
        held = undefined;
        const ids = new Set([context.data.id, ...selection]);
        host.moveNodes(new Map([...ids].flatMap((id) => { const v = area.nodeViews.get(id); return v ? [[id, { ...v.position }] as const] : []; })));
        break;
      }
      case 'pointerdown':
        if (context.data.event.shiftKey) box.start(context.data.event);
        else if (context.data.event.target === container || context.data.event.target === area.area.content.holder) host.select([]);
        break;
      case 'translated':
      case 'zoomed':
        host.viewportChanged({ ...area.area.transform });
        break;
    }
    return context;
  });
  // Remember the modifier keys of the press that picks a node (nodepicked carries no event).
  let lastPointer: PointerEvent | undefined;
  // While a press that began on the canvas is held (a pan, a node's or a wire's drag), nothing on the page
  // is text-selected: a pan dragged over the palette highlighted its text.
  const PRESSED = 'canvas-pressed';
  const onPress = (e: PointerEvent) => { lastPointer = e; document.documentElement.classList.add(PRESSED); };
  container.addEventListener('pointerdown', onPress, true);

  const onBackground = (e: Event) => e.target === container || e.target === area.area.content.holder;
  const screenOf = (p: Position) => { const { x, y, k } = area.area.transform; return { x: p.x * k + x, y: p.y * k + y }; };
  const onDoubleClick = (e: MouseEvent) => {
    if (!onBackground(e)) return;
    area.area.setPointerFrom(e);
    const at = { ...area.area.pointer };
    host.search({ at, screen: screenOf(at) });
  };
  container.addEventListener('dblclick', onDoubleClick);
  // A wire released over empty canvas (no socket, not on a node) asks what to add there. The release's
  // target is seen first, in the capture phase: the connection plugin handles the release on window.
  let releasedOn: EventTarget | null = null;
  const onRelease = (e: PointerEvent) => { releasedOn = e.target; document.documentElement.classList.remove(PRESSED); };
  window.addEventListener('pointerup', onRelease, true);
  window.addEventListener('pointercancel', onRelease, true);
  connection.addPipe((context) => {
    if (context.type === 'connectiondrop' && !context.data.socket && !context.data.created && onBackground({ target: releasedOn } as Event)) {
      const { nodeId, key, side } = context.data.initial;
      const at = { ...area.area.pointer };
      host.search({ at, screen: screenOf(at), wire: { node: nodeId, port: key, side } });
    }
    return context;
  });

  /**
   * Puts a node just added where the document has it, as NodeView.translate does but without its
   * signals: no wire ends on it yet (wires are added after nodes) and the minimap draws on the next
   * frame, so nothing listens; through area.translate, a 300-node import spent ~10 % of its time on them.
   */
  function placeNew(id: string, { x, y }: Position) {
    const view = area.nodeViews.get(id);
    if (!view) return;
    view.position = { x, y };
    view.element.style.transform = `translate(${x}px, ${y}px)`;
  }

  async function structural<T>(change: () => Promise<T>): Promise<T> {
    syncing++;
    try { return await change(); } finally { syncing--; }
  }

  /** Makes the canvas show `state`: adds, removes and updates nodes and wires. */
  async function apply({ doc, validation, selection: selected }: CanvasState) {
    selection = new Set(selected);
    const wanted = new Map(doc.nodes.map((n) => [n.id, n]));
    const edges = new Map(doc.edges.map((e) => [e.id, e]));
    const stale = editor.getConnections().filter((c) => {
      const e = edges.get(c.id);
      return !e || e.from.node !== c.source || e.from.port !== c.sourceOutput || e.to.node !== c.target || e.to.port !== c.targetInput;
    });
    await Promise.all(stale.map((c) => structural(() => editor.removeConnection(c.id))));
    await Promise.all(editor.getNodes().filter((n) => wanted.get(n.id)?.type !== n.kind.type).map((n) => structural(() => editor.removeNode(n.id))));
    const badges = problemsByNode(validation);
    // Nodes (and then wires) are projected concurrently: each is independent, and awaiting them one by one doubles a 300-node import.
    await Promise.all(doc.nodes.map(async (node) => {
      let view = editor.getNode(node.id);
      const shapes = validation.shapes.get(node.id);
      const next = {
        label: node.label ?? node.id,
        selected: selection.has(node.id),
        shapes: Object.fromEntries([
          ...Object.entries(shapes?.inputs ?? {}).flatMap(([k, s]) => (s ? [[`in:${k}`, formatShape(s)]] : [])),
          ...Object.entries(shapes?.outputs ?? {}).flatMap(([k, s]) => (s ? [[`out:${k}`, formatShape(s)]] : [])),
        ]),
        errors: badges.get(node.id)?.errors ?? [],
        warnings: badges.get(node.id)?.warnings ?? [],
      };
      if (!view) {
        const kind = catalog.get(node.type);
        if (!kind) return; // unknown kinds are listed in the problems panel; nothing to draw
        view = Object.assign(new StudioNode(node.id, kind, next.label), next);
        await structural(() => editor.addNode(view!));
        placeNew(node.id, node.position);
      } else if (JSON.stringify(next) !== JSON.stringify({ label: view.label, selected: view.selected, shapes: view.shapes, errors: view.errors, warnings: view.warnings })) {
        Object.assign(view, next);
        await area.update('node', node.id);
      }
      const at = area.nodeViews.get(node.id)?.position;
      if (at && (at.x !== node.position.x || at.y !== node.position.y)) {
        programmatic.add(node.id);
        try { await area.translate(node.id, node.position); } finally { programmatic.delete(node.id); }
      }
    }));
    // Before the wires are added: a new wire of a hidden node starts out on its group's frame.
    const folded = foldedWireEnds(doc, drawnSize);
    socketPositions.fold(folded);
    await Promise.all(doc.edges.map(async (e) => {
      if (editor.getConnection(e.id)) return;
      const source = editor.getNode(e.from.node);
      const target = editor.getNode(e.to.node);
      const output = source?.outputs[e.from.port];
      const input = target?.inputs[e.to.port];
      if (!source || !target || !output || !input) return; // a broken wire: the problems panel says why
      await structural(() => editor.addConnection(new StudioConnection(e.id, output.socket.name as never, source, e.from.port, target, e.to.port)));
    }));
    // A collapsed group shows its title alone: its nodes are not drawn, nor the wires inside it; a wire
    // between one of them and a node outside ends on the frame (foldedWireEnds), marked data-folded.
    const hidden = hiddenNodes(doc);
    for (const [id, view] of area.nodeViews) view.element.style.display = hidden.has(id) ? 'none' : '';
    for (const c of editor.getConnections()) {
      const view = area.connectionViews.get(c.id);
      if (!view) continue;
      const from = folded.get(c.source)?.group;
      const to = folded.get(c.target)?.group;
      view.element.style.display = from !== undefined && from === to ? 'none' : '';
      if (from !== undefined || to !== undefined) view.element.dataset.folded = 'true';
      else delete view.element.dataset.folded;
    }
  }

  /** Shows nodes at their document position moved by `by` while a group is dragged (the edit comes on release). */
  async function previewMove(doc: GraphDoc, ids: readonly string[], by: Position) {
    await Promise.all(ids.map(async (id) => {
      const node = doc.nodes.find((n) => n.id === id);
      if (!node || !area.nodeViews.has(id)) return;
      programmatic.add(id);
      try { await area.translate(id, { x: node.position.x + by.x, y: node.position.y + by.y }); } finally { programmatic.delete(id); }
    }));
  }

  async function setViewport({ x, y, k }: { x: number; y: number; k: number }) {
    await area.area.zoom(k, 0, 0);
    await area.area.translate(x, y);
  }

  let queue = Promise.resolve();
  return {
    editor,
    area,
    /** Projects the document; calls are queued so that two syncs never interleave. */
    sync(state: CanvasState) {
      queue = queue.then(() => apply(state)).catch((e) => console.error('canvas sync failed', e));
      return queue;
    },
    /** Fits the graph (./fit): titles stay legible and the minimap's corner stays free. */
    async fit() {
      const boxes = editor.getNodes().flatMap((n) => {
        const p = area.nodeViews.get(n.id)?.position;
        return p ? [{ left: p.x, top: p.y, right: p.x + n.width, bottom: p.y + n.height }] : [];
      });
      // Notes and group frames are in view too (they are drawn in canvas coordinates, untransformed inside the content).
      for (const el of annotations.querySelectorAll<HTMLElement>(':scope > *')) {
        boxes.push({ left: el.offsetLeft, top: el.offsetTop, right: el.offsetLeft + el.offsetWidth, bottom: el.offsetTop + el.offsetHeight });
      }
      if (!boxes.length) return setViewport({ x: container.clientWidth / 2, y: container.clientHeight / 3, k: area.area.transform.k });
      const graph = {
        left: Math.min(...boxes.map((b) => b.left)), top: Math.min(...boxes.map((b) => b.top)),
        right: Math.max(...boxes.map((b) => b.right)), bottom: Math.max(...boxes.map((b) => b.bottom)),
      };
      const view = { width: container.clientWidth, height: container.clientHeight };
      await setViewport(fitTransform(graph, view, { minZoom: TITLE_MIN_PX / TITLE_PX, maxZoom: 1, pad: 24, minimap: minimapShown ? MINIMAP : undefined }));
    },
    setViewport,
    /** Where CanvasAnnotations.vue is mounted. */
    annotations,
    previewMove,
    zoom: () => area.area.transform.k,
    /** The canvas point at the middle of the view (where a note added by key lands without a pointer). */
    centre: (): Position => {
      const { x, y, k } = area.area.transform;
      return { x: (container.clientWidth / 2 - x) / k, y: (container.clientHeight / 2 - y) / k };
    },
    setMinimap(shown: boolean) {
      minimapShown = shown;
      container.classList.toggle('minimap-hidden', !shown);
    },
    /** Canvas coordinates of a pointer/drag event (where a dropped node lands). */
    pointFrom(event: MouseEvent): Position {
      area.area.setPointerFrom(event);
      return { ...area.area.pointer };
    },
    /** Node sizes for auto-arrange. */
    sizes: () => new Map(editor.getNodes().map((n) => [n.id, { width: n.width, height: n.height }])),
    destroy() {
      container.removeEventListener('pointerdown', onPress, true);
      container.removeEventListener('dblclick', onDoubleClick);
      window.removeEventListener('pointerup', onRelease, true);
      window.removeEventListener('pointercancel', onRelease, true);
      box.destroy();
      stopScrollToPan();
      area.destroy();
    },
  };
}

/** Renders ContextMenuPlugin's menu with our ContextMenu.vue (see why there), loaded with the first right-click. */
const ContextMenu = defineAsyncComponent(() => import('./ContextMenu.vue'));
const contextMenuPreset: RenderPreset<Schemes, ContextMenuExtra> = {
  update: (context) => ({ items: context.data.items, searchBar: context.data.searchBar, onHide: context.data.onHide }),
  render: (context) => (context.data.type === 'contextmenu'
    ? { component: ContextMenu, props: { items: context.data.items, searchBar: context.data.searchBar, onHide: context.data.onHide } }
    : undefined),
};

/** Renders MinimapPlugin's minimap with our CanvasMinimap.vue (see why there). */
const minimapPreset: RenderPreset<Schemes, MinimapExtra> = {
  update: (context) => (context.data.type === 'minimap' ? minimapProps(context.data) : undefined),
  render: (context) => (context.data.type === 'minimap' ? { component: CanvasMinimap, props: minimapProps(context.data) } : undefined),
};
const minimapProps = (data: Extract<MinimapExtra, { type: 'render' }>['data']) =>
  ({ nodes: data.nodes, viewport: data.viewport, translate: data.translate, point: data.point });

export type Canvas = Awaited<ReturnType<typeof createCanvas>>;

/**
 * Rete's minimap redraws on every node event: O(n²) while a 300-node document
 * is projected (2 s of a 4 s import). Once per animation frame shows the same.
 */
class FrameMinimap extends MinimapPlugin<Schemes> {
  constructor(props: ConstructorParameters<typeof MinimapPlugin>[0]) {
    super(props);
    const self = this as unknown as { render(): void };
    const draw = self.render.bind(this);
    let queued = false;
    self.render = () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; draw(); });
    };
  }
}

function problemsByNode(validation: Validation) {
  const byNode = new Map<string, { errors: string[]; warnings: string[] }>();
  for (const p of validation.problems) {
    for (const id of new Set([...(p.node ? [p.node] : []), ...(p.nodes ?? [])])) {
      const entry = byNode.get(id) ?? { errors: [], warnings: [] };
      (p.severity === 'error' ? entry.errors : entry.warnings).push(problemLine(p));
      byNode.set(id, entry);
    }
  }
  return byNode;
}
