/**
 * export-pytorch: a standalone train.py from a graph document, assembled from
 * each node kind's emitter (src/nodes) and the shared prelude. The script
 * runs on one process or under torchrun (DistributedDataParallel).
 *
 * No text from the document becomes a Python name or raw source: node outputs
 * are entries of the dict `out`, keyed by the id as a string literal, modules
 * are attributes named by moduleAttribute(id), and every string (ids, labels,
 * name, params, the embedded DOCUMENT) goes through pyStr/py, also in comments
 * and docstrings.
 */
import { canonicalJson, errorsOf, formatProblem, serializeGraph, TrainingSchema, WEIGHTS_PORT, type GraphDoc, type PortShape } from '../../graph';
import { catalog as builtIn, validate, type NodeCatalog } from '../../nodes';
import { dataSourceOf } from '../../nodes/data-source';
import { dimOf } from '../../nodes/build';
import { declaredParams } from '../../nodes/param-roles';
import { moduleAttribute, py, pyStr } from '../../nodes/python';
import { isEmaTarget, pickMonitors, probePath } from '../monitor';
import { PROBE_SIZE } from '../probe';
import { FIXED_PARTS, prelude } from './prelude';
import { nameClash, type ScriptPiece } from './top-level-names';

export class ExportError extends Error {}

/** Node id → module attribute (the parity harness maps state-dict keys with it). */
export const pythonNames = (ids: string[]): Map<string, string> => new Map(ids.map((id) => [id, moduleAttribute(id)]));

/** The script of `doc`, from the emitters of `catalog`'s kinds (the built-in ones by default). */
export function exportPytorch(doc: GraphDoc, catalog: NodeCatalog = builtIn): string {
  const v = validate(doc, catalog);
  const errors = errorsOf(v.problems);
  if (errors.length) throw new ExportError(`the graph has errors:\n${errors.map(formatProblem).join('\n')}`);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const missing = doc.nodes.filter((n) => !catalog.get(n.type)!.pytorch).map((n) => `"${n.id}" (${n.type})`);
  if (missing.length) throw new ExportError(`no PyTorch emitter for node ${missing.join(', ')}: refusing to write a script that would compute something else`);

  const attr = moduleAttribute;
  const output = (id: string) => `out[${pyStr(id)}]`;
  const monitors = pickMonitors(v);
  const init: string[] = [];
  const forward: string[] = [];
  const ema: string[] = [];
  const augments: string[] = [];
  const predictors: string[] = [];
  const notWeights: string[] = [];
  const losses: string[] = [];
  const stateNodes: string[] = [];
  const expressions = new Map<string, string>();
  let cropSize = 0;

  for (const id of v.order) {
    const node = byId.get(id)!;
    const kind = catalog.get(node.type)!;
    const params = v.params.get(id);
    const shapes = v.shapes.get(id)!;
    const comment = `# node ${pyStr(id)}${node.label ? ` (${pyStr(node.label)})` : ''}: ${kind.doc} — ${kind.citation}`;
    const inputs: Record<string, string> = {};
    for (const w of v.wires.filter((w) => w.to.node === id)) inputs[w.to.port] = output(w.from.node);
    const traits = v.traits.get(id)!;
    if (traits.module) {
      if (isEmaTarget(v, id)) {
        const link = v.wires.find((w) => w.to.node === id && w.to.port === WEIGHTS_PORT)!.from.node;
        const online = v.wires.find((w) => w.to.node === link)!.from.node;
        const emaLink = catalog.get(byId.get(link)!.type)!.pytorch!.emaLink;
        if (!emaLink) throw new ExportError(`node "${link}" (${byId.get(link)!.type}) sets an EMA target but has no PyTorch EMA form`);
        init.push(`        ${comment}`, `        # EMA target of ${pyStr(online)}: starts as its copy and is never trained`, `        self.${attr(id)} = copy.deepcopy(self.${attr(online)}).requires_grad_(False)`);
        ema.push(`    (${py(attr(online))}, ${py(attr(id))}, ${emaLink(v.params.get(link))}),`);
      } else {
        const size = lastDim(shapes.inputs[traits.module.input]); // channels of images, width of features
        init.push(`        ${comment}`, `        self.${attr(id)} = ${kind.pytorch!.module!(params, size)}`);
        if (traits.predictor) predictors.push(py(attr(id)));
        // the optimizer's groups by the roles the kind declares (as the runtime's optimizer), by state-dict name
        for (const p of declaredParams(kind, id, params, shapes.inputs)) if (p.role !== 'weight') notWeights.push(`    ${py(`${attr(id)}.${p.name}`)},`);
      }
      if (id === monitors.encoder.node) cropSize = dimOf(shapes.inputs[monitors.encoder.input], 2);
    }
    if (kind.state) {
      // training state: a module of buffers (register_buffer), updated after each optimizer step from what this forward saw
      const reads = kind.state.reads;
      init.push(`        ${comment}`, `        self.${attr(id)} = ${kind.pytorch!.module!(params, lastDim(shapes.inputs[reads[0]]))}`);
      stateNodes.push(`    (${py(attr(id))}, ${py(kind.state.gatherAcrossProcesses)}),`);
      forward.push(`        self.state_inputs[${py(attr(id))}] = {${reads.map((port) => `${py(port)}: [v.detach() for v in ${inputs[port]}]`).join(', ')}}`);
    }
    if (traits.augment) augments.push(`    ${pyStr(id)}: ${py((params as { views: unknown }).views)},`);
    if (!kind.pytorch!.forward) continue;
    const expr = kind.pytorch!.forward({ id, attr: attr(id), params, inputs });
    expressions.set(id, expr);
    forward.push(`        ${output(id)} = ${expr}  # ${kind.type}`);
    if (traits.loss) losses.push(output(id));
  }
  const data = dataSourceOf(doc, catalog)!;
  const source = data.source;
  const first = v.shapes.get(data.node)!.outputs[v.traits.get(data.node)!.dataset!.output];
  const text = serializeGraph(doc);
  const probe = probePath(v, monitors);
  const used = new Set(doc.nodes.map((n) => n.type));
  const kindPieces: ScriptPiece[] = catalog.kinds.filter((k) => used.has(k.type)).flatMap((k) => [k.pytorch?.python ?? []].flat().map((source) => ({ owner: `kind "${k.type}"`, source })));
  const helpers = new Set(kindPieces.map((p) => p.source));
  // what the graph section below calls itself (the parts bring their own)
  const imports = ['import json', 'import sys', 'import torch.nn as nn', ...(ema.length ? ['import copy'] : [])];

  // raw docstrings: pyStr's escapes stay as text there (also in --help), and it holds no quote that could end them
  const graphSection = `
# --------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------

DOCUMENT = json.loads(${pyStr(text)})
# what training computes (node types and params, wires, training settings): a checkpoint resumes only under the same
TRAINED_SHA256 = ${py(sha256Hex(trainedJson(doc)))}
# the flags' bounds: the document's own
BOUNDS = ${py(BOUNDS)}
DATASET = ${py(source)}
IN_CHANNELS = ${py(dimOf(first, 4))}
CROP_SIZE = ${py(cropSize)}
# The probe set of the effective rank, as in the runtime (src/runtime/probe.ts): the first
# PROBE_SIZE images of the test split, never the training batch (B samples cap the rank at B - 1).
PROBE_SIZE = ${py(PROBE_SIZE)}
ENCODER = ${py(attr(monitors.encoder.node))}
PREDICTORS = {${predictors.join(', ')}}
# the trained parameters whose role is not weight (biases, norms: as their node kinds declare them), by state-dict
# name: LARS neither adapts nor decays them where excludeBiasAndNorm
NOT_WEIGHTS = frozenset([
${notWeights.join('\n')}
])
# augmentations per view, per augment node (BYOL's Table 6 names)
AUGMENT = {
${augments.join('\n')}
}
# (online, target, tau_base, schedule): after each optimizer step, target <- tau * target + (1 - tau) * online
EMA_LINKS = [
${ema.join('\n')}
]
# (module, gather): nodes with training state, updated after each optimizer step from the inputs their forward saw
# (under DDP first gathered from every process where gather is True)
STATE_NODES = [
${stateNodes.join('\n')}
]


class Graph(nn.Module):
    r"""The graph ${pyStr(doc.name)}: every module node, and the forward pass to the total loss."""

    def __init__(self):
        super().__init__()${stateNodes.length ? '\n        self.state_inputs = {}  # module attribute -> the inputs its state update reads' : ''}
${init.join('\n')}

    def forward(self, images, gen, views=None):
        """images: one batch [B, C, H, W] in [0, 1]. Returns the total loss and the monitored outputs (view 0)."""
        out = {}  # node id -> its output (ids are never Python names)
${forward.join('\n')}
        loss = ${losses.join(' + ')}
        return loss, {'z': ${output(monitors.embedding.node)}[0], 'features': ${output(monitors.encoder.node)}[0]}

    def probe(self, view):
        """The monitored outputs for one view [N, C, H, W] (the probe set; in eval mode): the nodes from the encoder's input to the projector, as the runtime's probe."""
        out = {${pyStr(probe.source.node)}: [view]}
${probe.nodes.map((id) => `        ${output(id)} = ${expressions.get(id)}`).join('\n')}
        return {'z': ${output(monitors.embedding.node)}[0], 'features': ${output(monitors.encoder.node)}[0]}


if __name__ == '__main__':
    code = main()
    if code == EXIT_INTERRUPTED:
        # stopped by Ctrl-C: skip the interpreter's teardown, which puts back the default SIGINT handler,
        # so that a repeated Ctrl-C now cannot end the process by the signal instead of exit 130
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if code:  # a success returns, so that runpy's callers see no SystemExit
        sys.exit(code)
`;
  // one namespace: a name defined twice would silently replace the first definition
  const clash = nameClash([...Object.entries(FIXED_PARTS).map(([file, source]) => ({ owner: `the script's fixed part (${file})`, source })), ...kindPieces,
    { owner: "the script's graph section", source: graphSection }]);
  if (clash) throw new ExportError(`${clash}; rename one of them`);

  return `#!/usr/bin/env python3
r"""A training script exported by Siamese Studio from the graph document
${pyStr(doc.name)} (format v${doc.version}, sha256 ${sha256Hex(text).slice(0, 16)}…), embedded below as DOCUMENT.

One process (CPU or CUDA):   python train.py --data DIR --steps N
Several (DDP; gloo on CPU, nccl on CUDA):
                             torchrun --nproc_per_node=K train.py --data DIR --steps N [--sync-bn]

Resume after Ctrl-C or a kill:   python train.py --data DIR --steps N --out OUT --resume
Exit codes: 0 trained, 1 a non-finite loss or state (the last good checkpoint is kept),
2 bad input (a flag, the data, --out, a checkpoint) or an output that cannot be written,
130 stopped by Ctrl-C or SIGTERM (after the current step, with a checkpoint).

Wires carry lists of views; a module applies the same weights to every view,
called once per view (so BatchNorm statistics are per view). Only torch is needed.
"""
${prelude([...helpers], imports)}
${graphSection}`;
}

/** The size of a tensor shape's last axis. */
const lastDim = (shape: PortShape | undefined) => dimOf(shape, (shape?.kind === 'tensor' ? shape.dims.length : 0) - 1);

const bound = (key: 'steps' | 'seed' | 'batchSize') => TrainingSchema.shape[key].unwrap().maxValue!;
const BOUNDS = { steps: bound('steps'), seed: bound('seed'), batchSize: bound('batchSize') };

/** The document without what changes nothing trained (names, descriptions, labels, positions), as the CLI's resume compares graphs. */
const trainedJson = (doc: GraphDoc): string => canonicalJson({
  nodes: [...doc.nodes].sort((a, b) => (a.id < b.id ? -1 : 1)).map((n) => ({ id: n.id, type: n.type, params: n.params })),
  wires: doc.edges.map((e) => [e.from.node, e.from.port, e.to.node, e.to.port]).sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1)),
  training: doc.training,
});

/** SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, synchronous, for the script's provenance line. */
export function sha256Hex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const K = Uint32Array.from([0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
    0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb,
    0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
    0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const length = Math.ceil((bytes.length + 9) / 64) * 64;
  const msg = new Uint8Array(length);
  msg.set(bytes);
  msg[bytes.length] = 0x80;
  const view = new DataView(msg.buffer);
  view.setUint32(length - 4, bytes.length * 8);
  view.setUint32(length - 8, Math.floor((bytes.length * 8) / 2 ** 32));
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}
