/** Which nodes a run watches; shared by the runtime and the PyTorch exporter (no tfjs here). */
import { WEIGHTS_PORT, type GraphDoc, type Validation } from '../graph';
import { catalog } from '../nodes';

/** A module whose weights come from an `ema` node: never trained. */
export const isEmaTarget = (v: Validation, id: string) => v.wires.some((w) => w.to.node === id && w.to.port === WEIGHTS_PORT);

/**
 * The online projector (the first trainable projector in dependency order,
 * else the last trainable module), whose output z the collapse metrics watch,
 * and the online encoder (the first trainable encoder), which is evaluated
 * and exported; d is z's dimension.
 */
export function pickMonitors(doc: GraphDoc, v: Validation): { projector: string; encoder: string; dim: number } {
  const typeOf = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const online = v.order.filter((id) => catalog.get(typeOf.get(id)!)?.traits.module && !isEmaTarget(v, id));
  const encoder = online.find((id) => typeOf.get(id) === 'encoder');
  const projector = online.find((id) => typeOf.get(id) === 'projector') ?? online[online.length - 1];
  if (!encoder || !projector) throw new Error('the graph has no trainable encoder to monitor');
  const out = v.shapes.get(projector)!.outputs.output;
  const dim = out?.kind === 'tensor' ? Number(out.dims[2]) : NaN;
  return { projector, encoder, dim };
}

/**
 * What the probe runs (see probe.ts): the online encoder's input comes from
 * `source` (its upstream node and port, e.g. the augment's views), which the
 * probe view replaces; `nodes` are the nodes from there to the monitored
 * encoder and projector, in dependency order (e.g. enc, proj). Shared by the
 * runtime and the PyTorch exporter, so both run the same nodes.
 */
export function probePath(v: Validation, monitors: { projector: string; encoder: string }): { source: { node: string; port: string }; nodes: string[] } {
  const tensorInputs = (id: string) => v.wires.filter((w) => w.to.node === id && w.to.port !== WEIGHTS_PORT);
  const feed = tensorInputs(monitors.encoder).find((w) => w.to.port === 'input');
  if (!feed) throw new Error(`the encoder "${monitors.encoder}" has no input wire to probe through`);
  const needed = new Set<string>();
  const visit = (id: string) => {
    if (needed.has(id) || id === feed.from.node) return;
    needed.add(id);
    for (const w of tensorInputs(id)) visit(w.from.node);
  };
  visit(monitors.projector);
  visit(monitors.encoder);
  return { source: { node: feed.from.node, port: feed.from.port }, nodes: v.order.filter((id) => needed.has(id)) };
}
