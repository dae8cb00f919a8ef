/**
 * compile(doc) → a training program: the graph's nodes built in dependency
 * order, one forward over view stacks, one backward, the optimizer, the EMA
 * targets, and the metrics. The same code runs in Node and in a browser worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { errorsOf, formatProblem, type GraphDoc, type NodeTraits, type Problem, type TrainingSettings } from '../graph';
import { catalog as builtIn, validate, type NodeCatalog } from '../nodes';
import { dimOf, type NodeProgram, type StepEnv, type Tensor, type Variable } from '../nodes/build';
import type { NodeKind, StateFigure } from '../nodes/kind';
import { Rng } from '../nodes/nn/rng';
import { head, type Dataset } from './data/dataset';
import { BatchSampler, gatherImages } from './data/sampler';
import { knnPredict, top1 } from './knn';
import { pca2, type Pca2 } from './embedding';
import { collapseStd, rankWithCovariance } from './metrics';
import { copyModule, emaUpdate, VariableStore, type ModuleVariables } from './modules';
import { Optimizer, type TrainableParam } from './optim';
import { isEmaTarget, pickMonitors, probePath, type Monitors } from './monitor';
import { probeSet } from './probe';
import { learningRate } from './schedule';

export class CompileError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`the graph has errors:\n${errorsOf(problems).map(formatProblem).join('\n')}`);
  }
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number) {
    super(`loss is ${loss} at step ${step}: training stopped (step ${step}'s update was not applied)`);
  }
}

export interface CompileOptions {
  dataset: Dataset;
  /** Overrides of the document's training settings. */
  batchSize?: number;
  steps?: number;
  seed?: number;
  /** The node kinds (the built-in ones by default). */
  catalog?: NodeCatalog;
}

export interface StepMetrics {
  /** Steps completed, this one included. */
  step: number;
  loss: number;
  /** Per-dimension std of the l2-normalized projector output, and its healthy reference 1/√d. */
  collapseStd: number;
  stdReference: number;
  dim: number;
  lr: number;
  /** τ of the first EMA link, where the graph has one. */
  tau?: number;
  imagesPerSec: number;
  /** Effective rank of the projector output and of the encoder features on the probe set (probe.ts), on the steps where it is computed. */
  effRank?: number;
  encoderEffRank?: number;
}

/** One space of the probe set (rows × dim, row-major float32) and its 2-D PCA (computed when first read: the CLI never reads it). */
export interface EmbeddedSpace { readonly data: Float32Array; readonly dim: number; readonly pca: Pca2 }

function embeddedSpace(data: Float32Array, rows: number, dim: number, cov: Parameters<typeof pca2>[3]): EmbeddedSpace {
  let pca: Pca2 | undefined;
  return { data, dim, get pca() { return (pca ??= pca2(data, rows, dim, cov)); } };
}
/** `features`: the encoder's output; `z`: the projector's (the monitored embedding). */
export interface ProbeEmbedding { step: number; features: EmbeddedSpace; z: EmbeddedSpace }

/** A node's figure of its training state (kind.ts StateFigure), with the node's id. */
export type NodeStateFigure = StateFigure & { node: string };

interface Built {
  id: string;
  kind: NodeKind<unknown>;
  traits: NodeTraits;
  program: NodeProgram;
  /** Tensor inputs: port → source node and port. */
  inputs: Array<{ port: string; from: string; fromPort: string }>;
}

/** Fixed outputs for some nodes, by node id and port. */
export type Overrides = ReadonlyMap<string, Record<string, Tensor>>;

export interface Backward {
  loss: tf.Scalar;
  grads: Record<string, Tensor>;
  pending: Array<[Variable, Tensor]>;
  /** Per node with training state: the inputs its update reads, as this step's forward saw them. */
  stateInputs: Map<string, Record<string, Tensor>>;
  z: Tensor;
  features: Tensor;
}

/** Releases every tensor of a pass. */
export const disposeBackward = (b: Backward) =>
  tf.dispose([b.loss, b.z, b.features, ...Object.values(b.grads), ...b.pending.map(([, value]) => value), ...[...b.stateInputs.values()].flatMap(Object.values)]);

interface EmaLink {
  online: ModuleVariables;
  targets: ModuleVariables[];
  tau: (k: number) => number;
}

export class TrainingProgram {
  readonly settings: TrainingSettings;
  readonly totalSteps: number;
  /** The monitored embedding (z) and encoder (features), and z's dimension d. */
  readonly monitor: Monitors;
  /** The nodes the probe runs, and the output its view replaces. */
  private readonly probe: ReturnType<typeof probePath>;
  private store = new VariableStore();
  private built: Built[] = [];
  private emaLinks: EmaLink[] = [];
  private optimizer!: Optimizer;
  private sampler!: BatchSampler;
  private augmentRng!: Rng;
  private completed = 0;
  /** The probe set's features and projector output at the last rank step, with their 2-D PCA (the embedding view's). */
  embedding?: ProbeEmbedding;
  /** Trainable parameters and predictor modules, fixed at init (read on every step). */
  private params: TrainableParam[] = [];
  private predictors = new Set<string>();
  private readonly validation: ReturnType<typeof validate>;
  private readonly catalog: NodeCatalog;

  constructor(readonly doc: GraphDoc, private readonly options: CompileOptions) {
    this.catalog = options.catalog ?? builtIn;
    // validated at the batch it trains with (a queue must hold one)
    const batchSize = options.batchSize ?? doc.training.batchSize;
    const v = validate({ ...doc, training: { ...doc.training, batchSize } }, this.catalog);
    if (!v.ok) throw new CompileError(v.problems);
    this.validation = v;
    this.settings = {
      ...doc.training,
      batchSize: options.batchSize ?? doc.training.batchSize,
      steps: options.steps ?? doc.training.steps,
      seed: options.seed ?? doc.training.seed,
    };
    this.totalSteps = this.settings.steps;
    this.monitor = pickMonitors(v);
    this.probe = probePath(v, this.monitor);
  }

  /** Steps completed so far. */
  get stepsDone(): number {
    return this.completed;
  }

  /** Builds every node with weights drawn from `seed`; targets start as copies of their online modules. */
  init(seed = this.settings.seed): void {
    this.disposeState();
    const root = new Rng(seed);
    const initRng = root.fork('init');
    const { doc, validation } = this;
    const byId = new Map(doc.nodes.map((n) => [n.id, n]));
    for (const id of validation.order) {
      const kind = this.catalog.get(byId.get(id)!.type)!;
      const traits = validation.traits.get(id)!;
      if (!kind.build) continue;
      const module = traits.module ? this.store.module(id, kind.type, !isEmaTarget(validation, id)) : undefined;
      const params = validation.params.get(id);
      const shapes = validation.shapes.get(id)!.inputs;
      const declared = kind.state ? Object.entries(kind.state.buffers(params, shapes, initRng)) : [];
      const state = Object.fromEntries(declared.map(([name, b]) => [name, this.store.stateBuffer(id, name, b.shape, b.init)]));
      const program = kind.build({
        tf, id, params, inputs: shapes, rng: initRng, state,
        param: (name, shape, role, init) => this.store.param(module!, name, shape, role, init(shape.reduce((a, b) => a * b, 1))),
        buffer: (name, shape, init) => this.store.buffer(module!, name, shape, init(shape.reduce((a, b) => a * b, 1))),
      });
      const inputs = validation.wires
        .filter((w) => w.to.node === id && kind.inputs.find((p) => p.key === w.to.port)?.kind !== 'weights')
        .map((w) => ({ port: w.to.port, from: w.from.node, fromPort: w.from.port }));
      this.built.push({ id, kind, traits, program, inputs });
    }
    this.emaLinks = doc.nodes.filter((n) => this.catalog.get(n.type)?.emaTau).map((n) => {
      const kind = this.catalog.get(n.type)!;
      const online = validation.wires.find((w) => w.to.node === n.id)!.from.node;
      const targets = validation.wires.filter((w) => w.from.node === n.id).map((w) => this.store.modules.get(w.to.node)!);
      const params = validation.params.get(n.id);
      return { online: this.store.modules.get(online)!, targets, tau: (k: number) => kind.emaTau!(params, k, this.totalSteps) };
    });
    for (const link of this.emaLinks) for (const t of link.targets) copyModule(link.online, t);
    this.params = this.store.trainable();
    this.predictors = new Set(this.built.filter((n) => n.traits.predictor).map((n) => n.id));
    this.optimizer = new Optimizer(this.settings.optimizer);
    this.sampler = new BatchSampler(this.options.dataset.train.count, this.settings.batchSize, root.fork('data'));
    this.augmentRng = root.fork('augment');
    this.completed = 0;
  }

  /**
   * Runs every node in dependency order; returns each node's outputs.
   * `overrides` replaces nodes' outputs (the parity harness feeds fixed views
   * in place of the augmentations); `only` runs just those nodes (the probe).
   */
  forward(env: StepEnv, overrides?: Overrides, only?: ReadonlySet<string>): Map<string, Record<string, Tensor>> {
    const outputs = new Map<string, Record<string, Tensor>>();
    for (const node of this.built) {
      const fixed = overrides?.get(node.id);
      if (fixed) {
        outputs.set(node.id, fixed);
        continue;
      }
      if (only && !only.has(node.id)) continue;
      const inputs: Record<string, Tensor> = {};
      for (const i of node.inputs) inputs[i.port] = outputs.get(i.from)![i.fromPort];
      outputs.set(node.id, node.program.forward(inputs, env));
    }
    return outputs;
  }

  /** The batch for the next step, 1×B×H×W×C. */
  nextBatch(): tf.Tensor {
    const { train } = this.options.dataset;
    const per = train.height * train.width * train.channels;
    const indices = this.sampler.next();
    return tf.tensor(gatherImages(train.images, per, indices), [1, indices.length, train.height, train.width, train.channels]);
  }

  /**
   * One forward and backward pass in training mode. Returns the total loss,
   * the gradient of every trainable parameter by "module.name" (absent where
   * no gradient reaches it), the BatchNorm updates to apply if the step goes
   * ahead, and view 0 of the monitored projector output and encoder features.
   * The caller owns (and disposes) every tensor in it.
   */
  backward(batch: tf.Tensor, rng: Rng, overrides?: Overrides): Backward {
    const pending: Array<[Variable, Tensor]> = [];
    const env: StepEnv = { mode: 'train', rng, batch, assign: (v, value) => pending.push([v, tf.keep(value)]) };
    const kept: Partial<Pick<Backward, 'z' | 'features'>> = {};
    const stateInputs = new Map<string, Record<string, Tensor>>();
    const params = this.params;
    const { value, grads } = tf.variableGrads(() => {
      const outputs = this.forward(env, overrides);
      for (const n of this.built) {
        if (!n.kind.state) continue;
        const reads = n.kind.state.reads;
        // clones (sharing the data): an input may be a fixed override the caller owns
        stateInputs.set(n.id, Object.fromEntries(n.inputs.filter((i) => reads.includes(i.port)).map((i) => [i.port, tf.keep(tf.clone(outputs.get(i.from)![i.fromPort]))])));
      }
      const { embedding, encoder } = this.monitor;
      kept.z = tf.keep(firstView(outputs.get(embedding.node)![embedding.port]));
      kept.features = tf.keep(firstView(outputs.get(encoder.node)![encoder.output]));
      const losses = this.built.flatMap((n) => (n.traits.loss ? [outputs.get(n.id)![n.traits.loss.output]] : []));
      return (losses.length === 1 ? losses[0] : tf.addN(losses)) as tf.Scalar;
    }, params.map((p) => p.variable));
    const byKey: Record<string, Tensor> = {};
    for (const p of params) if (grads[p.variable.name]) byKey[p.key] = grads[p.variable.name];
    return { loss: value, grads: byKey, pending, stateInputs, z: kept.z!, features: kept.features! };
  }

  async step(overrides?: Overrides): Promise<StepMetrics> {
    const k = this.completed;
    const started = performance.now();
    const batch = this.nextBatch();
    let pass: Backward | undefined;
    try {
      pass = this.backward(batch, this.augmentRng, overrides);
      const loss = (await pass.loss.data())[0];
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(k + 1, loss);

      const base = this.settings.optimizer.lr;
      const lr = learningRate(base, this.settings.schedule, k, this.totalSteps);
      const fixed = this.settings.schedule.predictorFixedLr;
      this.optimizer.apply(this.params, pass.grads, (p) => (fixed && this.predictors.has(p.module) ? base : lr));
      for (const [v, value] of pass.pending) v.assign(value);
      const tau = this.emaLinks.map((link) => link.tau(k));
      this.emaLinks.forEach((link, i) => link.targets.forEach((t) => emaUpdate(link.online, t, tau[i])));
      this.updateState(pass.stateInputs);
      this.completed = k + 1;

      const std = collapseStd(pass.z);
      const collapse = (await std.data())[0];
      std.dispose();
      const metrics: StepMetrics = {
        step: this.completed, loss, collapseStd: collapse, stdReference: 1 / Math.sqrt(this.monitor.dim), dim: this.monitor.dim, lr,
        imagesPerSec: this.settings.batchSize / ((performance.now() - started) / 1000),
      };
      if (tau.length) metrics.tau = tau[0];
      if (this.completed % this.settings.evaluation.rankEverySteps === 0 || this.completed === this.totalSteps) Object.assign(metrics, await this.probeRanks());
      return metrics;
    } finally {
      batch.dispose();
      if (pass) disposeBackward(pass);
    }
  }

  /** Each kind's training state after a successful step: its update rule, from the inputs that step's forward saw. */
  private updateState(stateInputs: Backward['stateInputs']): void {
    for (const n of this.built) {
      const buffers = this.store.state.get(n.id);
      if (!n.kind.state || !buffers) continue;
      const state = Object.fromEntries(buffers);
      const params = this.validation.params.get(n.id);
      tf.tidy(() => {
        const next = n.kind.state!.update({ tf, params, state, inputs: stateInputs.get(n.id)! });
        for (const [name, v] of buffers) v.assign(next[name]);
      });
    }
  }

  /** The training state kinds declare, by "node.name" (also among variables()). */
  trainingState(): Map<string, tf.Variable> {
    return this.store.trainingState();
  }

  /** What each node's training state holds after the steps done, where its kind declares a figure (the dashboard's "queue 768 / 4,096 keys…"). */
  stateFigures(): NodeStateFigure[] {
    const run = { steps: this.completed, batchSize: this.settings.batchSize };
    return this.built.flatMap((n) => (n.kind.state?.figure ? [{ node: n.id, ...n.kind.state.figure(this.validation.params.get(n.id), run) }] : []));
  }

  /** The online encoder's kind, params and the image size it takes (H, W, C). */
  get encoderSpec(): { kind: NodeKind<unknown>; params: unknown; input: [number, number, number] } {
    const { node } = this.monitor.encoder;
    const input = this.encoderInput;
    const kind = this.catalog.get(this.doc.nodes.find((n) => n.id === node)!.type)!;
    return { kind, params: this.validation.params.get(node), input: [dimOf(input, 2), dimOf(input, 3), dimOf(input, 4)] };
  }

  /** The shape at the online encoder's input. */
  private get encoderInput() {
    const { node, input } = this.monitor.encoder;
    return this.validation.shapes.get(node)!.inputs[input];
  }

  /** The online encoder's module (whose weights are exported and evaluated). */
  get encoderModule(): ModuleVariables {
    return this.store.modules.get(this.monitor.encoder.node)!;
  }

  /**
   * Images start…start+n−1 (bytes N×H×W×C) as one un-augmented view
   * [1, n, H′, W′, C] at the encoder's input size: bytes / 255, resized
   * bilinearly where the sizes differ. What the kNN features and the probe see.
   */
  private evalView(images: Uint8Array, start: number, n: number, [h, w, c]: [number, number, number]): tf.Tensor {
    const input = this.encoderInput;
    const want: [number, number] = [dimOf(input, 2), dimOf(input, 3)];
    return tf.tidy(() => {
      const x = tf.tensor4d(gatherImages(images, h * w * c, Uint32Array.from({ length: n }, (_, i) => start + i)), [n, h, w, c]);
      return tf.expandDims(want[0] !== h || want[1] !== w ? tf.image.resizeBilinear(x, want) : x, 0);
    });
  }

  /**
   * The monitored projector output z [N, d] and encoder features of the probe
   * set (probe.ts): one un-augmented view through the nodes from the
   * encoder's input to the projector, in eval mode — BatchNorm uses its
   * running statistics and updates nothing. The caller disposes both.
   */
  probeOutputs(): { z: tf.Tensor2D; features: tf.Tensor2D } {
    const set = probeSet(this.options.dataset);
    const { source, nodes } = this.probe;
    return tf.tidy(() => {
      const view = this.evalView(set.images, 0, set.count, [set.height, set.width, set.channels]);
      const env: StepEnv = { mode: 'eval', rng: new Rng(0), batch: view, assign: () => {} };
      const outputs = this.forward(env, new Map([[source.node, { [source.port]: view }]]), new Set(nodes));
      const { embedding, encoder } = this.monitor;
      const z = firstView(outputs.get(embedding.node)![embedding.port]) as tf.Tensor2D;
      const features = firstView(outputs.get(encoder.node)![encoder.output]) as tf.Tensor2D;
      return { z, features };
    });
  }

  /**
   * RankMe of z and of the encoder features on the probe set; and, from the
   * same covariances, their 2-D PCA (embedding.ts, computed when the
   * embedding view's worker reads it), kept as `embedding`.
   */
  async probeRanks(): Promise<{ effRank: number; encoderEffRank: number }> {
    const { z, features } = this.probeOutputs();
    try {
      const [projector, encoder] = await Promise.all([z, features].map(async (t) => {
        const [rows, cols] = t.shape;
        const data = (await t.data()) as Float32Array;
        const { rank, cov } = rankWithCovariance(data, rows, cols);
        return { rank, space: embeddedSpace(data, rows, cols, cov) };
      }));
      this.embedding = { step: this.completed, z: projector.space, features: encoder.space };
      return { effRank: projector.rank, encoderEffRank: encoder.rank };
    } finally {
      tf.dispose([z, features]);
    }
  }

  /** Online encoder features in eval mode for images N×H×W×C (bytes), in chunks. */
  async encode(images: Uint8Array, count: number, shape: [number, number, number], chunk = 256): Promise<tf.Tensor2D> {
    const { node, input, output } = this.monitor.encoder;
    const encoder = this.built.find((n) => n.id === node)!;
    const parts: tf.Tensor[] = [];
    const env = { mode: 'eval' as const, rng: this.augmentRng, batch: tf.zeros([1]), assign: () => {} };
    try {
      for (let start = 0; start < count; start += chunk) {
        const n = Math.min(chunk, count - start);
        const feats = tf.tidy(() => tf.squeeze(encoder.program.forward({ [input]: this.evalView(images, start, n, shape) }, env)[output], [0]));
        parts.push(feats);
        await feats.data(); // one chunk at a time: bounded memory
      }
      return tf.tidy(() => tf.concat(parts) as tf.Tensor2D);
    } finally {
      tf.dispose([...parts, env.batch]);
    }
  }

  /**
   * kNN top-1 of the online encoder's features (eval mode): memory bank from
   * the train split, queries from the test split (sizes from the document's
   * evaluation settings unless given; 0 means the whole split).
   */
  async evaluate(sizes: { bank?: number; queries?: number } = {}): Promise<{ knnTop1: number; bank: number; queries: number }> {
    const { dataset } = this.options;
    const e = this.settings.evaluation;
    const bankSet = head(dataset.train, sizes.bank ?? e.bankSize);
    const querySet = head(dataset.test, sizes.queries ?? e.querySize);
    const shape = (s: typeof bankSet): [number, number, number] => [s.height, s.width, s.channels];
    const bank = await this.encode(bankSet.images, bankSet.count, shape(bankSet));
    try {
      const queries = await this.encode(querySet.images, querySet.count, shape(querySet));
      try {
        const pred = await knnPredict(queries, bank, Int32Array.from(bankSet.labels), { k: e.k, temperature: e.temperature, classes: dataset.classes });
        return { knnTop1: top1(pred, querySet.labels), bank: bankSet.count, queries: querySet.count };
      } finally {
        queries.dispose();
      }
    } finally {
      bank.dispose();
    }
  }

  /** Makes every EMA target of `online` a copy of it again (after its weights were loaded). */
  resetEmaTargets(online: string): void {
    for (const link of this.emaLinks) if (link.online.id === online) for (const t of link.targets) copyModule(link.online, t);
  }

  /** Variables by "module.name", for checkpoints and export. */
  variables(): Map<string, tf.Variable> {
    return this.store.all();
  }

  get optimizerState() {
    return this.optimizer;
  }

  samplerState() {
    return { sampler: this.sampler.state(), augment: this.augmentRng.state(), completed: this.completed };
  }

  restoreSampler(s: ReturnType<TrainingProgram['samplerState']>): void {
    this.sampler.restore(s.sampler);
    this.augmentRng = new Rng(s.augment);
    this.completed = s.completed;
  }

  private disposeState(): void {
    this.store.dispose();
    this.optimizer?.dispose();
    this.built = [];
    this.emaLinks = [];
    this.params = [];
  }

  dispose(): void {
    this.disposeState();
  }
}

export function compile(doc: GraphDoc, options: CompileOptions): TrainingProgram {
  return new TrainingProgram(doc, options);
}

/** View 0 of a stack [V, B, d] → [B, d]. */
const firstView = (t: Tensor) => tf.squeeze(tf.slice(t, [0, 0, 0], [1, -1, -1]), [0]);
