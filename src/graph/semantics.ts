/**
 * Gradient flow: which modules a loss trains, and what that means.
 *
 * - An EMA target is "never updated by the optimizer" (docs/semantics.md); if a loss's
 *   gradient reaches it, the graph says two contradictory things: an error.
 * - No module trained by any loss: nothing to learn, an error.
 * - A loss whose target side trains a module (no stop-gradient, no EMA), or
 *   whose prediction side has no predictor: "likely to collapse" (Chen & He
 *   2020, §4: without stop-gradient "the optimizer quickly finds a degenerated
 *   solution"; without the predictor the model "does not work"). A warning:
 *   watching it collapse is a feature.
 * - A loss against negatives (MoCo's InfoNCE) gets neither warning: the
 *   negatives keep it from collapsing. Its key side trained by gradients is an
 *   error (MoCo §3.2: the keys are constants of a momentum encoder; the queue's
 *   cannot be back-propagated to), and so is a memory of keys that the key
 *   side does not feed (its negatives would not be keys).
 */
import { reachable } from './algorithms';
import { WEIGHTS_PORT, type KindSpec, type NodeTraits } from './kinds';
import type { Problem } from './problems';
import type { GraphEdge } from './schema';

interface FlowInput {
  index: Map<string, number>;
  kinds: Map<string, KindSpec>;
  /** Per node id: its traits (for its params). */
  traits: Map<string, NodeTraits>;
  wires: GraphEdge[];
  /** wire into "node\0port" */
  incoming: Map<string, GraphEdge>;
}

export function checkGradientFlow({ index, kinds, traits, wires, incoming }: FlowInput): Problem[] {
  const problems: Problem[] = [];
  const tensorPreds = new Map<string, string[]>();
  for (const w of wires) {
    if (kinds.get(w.from.node)?.outputs.find((p) => p.key === w.from.port)?.kind === 'weights') continue;
    tensorPreds.set(w.to.node, [...(tensorPreds.get(w.to.node) ?? []), w.from.node]);
  }
  // Backprop walks tensor wires upstream and stops at a stop-gradient node.
  const gradStep = (id: string) => (traits.get(id)?.stopsGradient ? [] : (tensorPreds.get(id) ?? []));
  const anyStep = (id: string) => tensorPreds.get(id) ?? [];
  const isModule = (id: string) => traits.get(id)?.module !== undefined;
  const isEmaTarget = (id: string) => isModule(id) && incoming.has(`${id}\u0000${WEIGHTS_PORT}`);
  const isTrainable = (id: string) => isModule(id) && !isEmaTarget(id);
  const where = (id: string) => `nodes[${index.get(id)}]`;
  /** The nodes a gradient reaches from one input of `id`, its source included. */
  const side = (id: string, port: string, step: (id: string) => string[]) => {
    const src = incoming.get(`${id}\u0000${port}`)?.from.node;
    if (src === undefined) return new Set<string>();
    return new Set([src, ...reachable([src], step)]); // nearest first, for messages
  };

  const wireInto = (id: string, port: string) => incoming.get(`${id}\u0000${port}`)?.from;
  function checkNegatives(loss: string): Problem[] {
    const negatives = traits.get(loss)!.negatives;
    if (!negatives) return [];
    const out: Problem[] = [];
    const keysTrain = [...side(loss, negatives.keys, gradStep)].filter(isTrainable);
    if (keysTrain.length) {
      out.push({
        severity: 'error', code: 'key-side-gradient', path: where(loss), node: loss, port: negatives.keys,
        message: `the key side of loss "${loss}" trains "${keysTrain[0]}" by gradients: keys come from a momentum (EMA) encoder and get no gradient (MoCo §3.2) — put an EMA target and a stop-gradient on the key side`,
      });
    }
    const keys = wireInto(loss, negatives.keys);
    const memory = wireInto(loss, negatives.memory);
    const role = memory && traits.get(memory.node)?.memory;
    if (keys && memory) {
      const fed = role ? wireInto(memory.node, role.input) : undefined;
      if (!fed || fed.node !== keys.node || fed.port !== keys.port) {
        const by = fed ? `"${fed.node}".${fed.port}` : role ? 'nothing' : `"${memory.node}", which keeps no memory of keys`;
        out.push({
          severity: 'error', code: 'memory-not-fed-by-keys', path: where(loss), node: loss, port: negatives.memory,
          message: `the negatives of loss "${loss}" come from ${role ? `"${memory.node}", fed by ${by}` : by}, not by its key side "${keys.node}".${keys.port}: a queue holds earlier keys (MoCo §3.1)`,
        });
      }
    }
    return out;
  }

  const losses = [...traits].filter(([, t]) => t.loss).map(([id]) => id);
  if (losses.length === 0) {
    problems.push({ severity: 'error', code: 'no-loss', path: 'nodes', message: 'the graph has no loss node: nothing to train' });
    return problems;
  }

  const trained = new Set<string>();
  const wronglyTrained = new Set<string>();
  for (const loss of losses) {
    for (const id of reachable([loss], gradStep)) {
      if (isTrainable(id)) trained.add(id);
      if (isEmaTarget(id) && !wronglyTrained.has(id)) {
        wronglyTrained.add(id);
        problems.push({
          severity: 'error', code: 'ema-target-gradient', path: where(id), node: id,
          message: `EMA target "${id}" gets gradients from loss "${loss}": an EMA target is updated only by EMA — put a stop-gradient between it and the loss`,
        });
      }
    }
    problems.push(...checkNegatives(loss));
    const sides = traits.get(loss)!.lossSides;
    if (!sides) continue;
    const targetTrains = [...side(loss, sides.target, gradStep)].filter(isTrainable);
    if (targetTrains.length) {
      problems.push({
        severity: 'warning', code: 'collapse-no-stop-gradient', path: where(loss), node: loss, port: sides.target,
        message: `the target side of loss "${loss}" trains "${targetTrains[0]}" with neither stop-gradient nor EMA: likely to collapse (SimSiam §4)`,
      });
    }
    const predictionSide = side(loss, sides.prediction, anyStep);
    if (predictionSide.size && ![...predictionSide].some((id) => traits.get(id)?.predictor)) {
      problems.push({
        severity: 'warning', code: 'collapse-no-predictor', path: where(loss), node: loss, port: sides.prediction,
        message: `no predictor before the prediction side of loss "${loss}": likely to collapse (SimSiam §4)`,
      });
    }
  }
  if (trained.size === 0) {
    problems.push({ severity: 'error', code: 'no-trainable', path: 'nodes', message: 'no trainable module reaches a loss through a gradient path: nothing would learn' });
  }
  return problems;
}
