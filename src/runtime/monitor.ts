/** Which nodes a run watches; shared by the runtime and the PyTorch exporter (no tfjs here). */
import { WEIGHTS_PORT, type ModuleRole, type Validation } from '../graph';

/** A module whose weights come from an `ema` node: never trained. */
export const isEmaTarget = (v: Validation, id: string) => v.wires.some((w) => w.to.node === id && w.to.port === WEIGHTS_PORT);

export interface Monitors {
  /** The module whose output z the collapse metrics watch, and that output's port. */
  embedding: { node: string; port: string };
  /** The online encoder, evaluated (kNN, probe) and exported, with its module ports. */
  encoder: { node: string } & ModuleRole;
  /** z's dimension d. */
  dim: number;
}

/**
 * From the nodes' roles (the validation's traits, so whatever catalog it was
 * made with): the online embedding module (the first trainable one in
 * dependency order, else the last trainable module), whose output z the
 * collapse metrics watch, and the online encoder (the first trainable one),
 * which is evaluated and exported.
 */
export function pickMonitors(v: Validation): Monitors {
  const online = v.order.filter((id) => v.traits.get(id)?.module && !isEmaTarget(v, id));
  const encoder = online.find((id) => v.traits.get(id)!.encoder);
  const embedding = online.find((id) => v.traits.get(id)!.embedding) ?? online[online.length - 1];
  if (!encoder || !embedding) throw new Error('the graph has no trainable encoder to monitor');
  const port = v.traits.get(embedding)!.module!.output;
  const out = v.shapes.get(embedding)!.outputs[port];
  const dim = out?.kind === 'tensor' ? Number(out.dims[2]) : NaN;
  return { embedding: { node: embedding, port }, encoder: { node: encoder, ...v.traits.get(encoder)!.module! }, dim };
}

/**
 * What the probe runs (see probe.ts): the online encoder's input comes from
 * `source` (its upstream node and port, e.g. the augment's views), which the
 * probe view replaces; `nodes` are the nodes from there to the monitored
 * encoder and projector, in dependency order (e.g. enc, proj). Shared by the
 * runtime and the PyTorch exporter, so both run the same nodes.
 */
export function probePath(v: Validation, monitors: Monitors): { source: { node: string; port: string }; nodes: string[] } {
  const tensorInputs = (id: string) => v.wires.filter((w) => w.to.node === id && w.to.port !== WEIGHTS_PORT);
  const { encoder } = monitors;
  const feed = tensorInputs(encoder.node).find((w) => w.to.port === encoder.input);
  if (!feed) throw new Error(`the encoder "${encoder.node}" has no input wire to probe through`);
  const needed = new Set<string>();
  const visit = (id: string) => {
    if (needed.has(id) || id === feed.from.node) return;
    needed.add(id);
    for (const w of tensorInputs(id)) visit(w.from.node);
  };
  visit(monitors.embedding.node);
  visit(encoder.node);
  return { source: { node: feed.from.node, port: feed.from.port }, nodes: v.order.filter((id) => needed.has(id)) };
}
