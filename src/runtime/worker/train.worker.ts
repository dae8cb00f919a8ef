/**
 * The training worker: the same compiled program as the CLI, on the best
 * backend the browser has. The page never does tensor work; it sends
 * start/pause/resume/stop and receives metrics (protocol.ts).
 */
import { version_core } from '@tensorflow/tfjs-core';
import { assertNever, parseGraph, type GraphDoc } from '../../graph';
import { catalog, validate } from '../../nodes';
import { Rng } from '../../nodes/nn/rng';
import { loadCheckpoint, saveCheckpoint, type CheckpointFiles } from '../checkpoint';
import { head, type Dataset } from '../data/dataset';
import { encoderModel, encoderTensors } from '../export';
import { compile, NonFiniteLossError, type Overrides, type TrainingProgram } from '../program';
import { probeEncoder } from '../linear-probe';
import { encodeSafetensors } from '../safetensors';
import { selectBackend } from '../tf/backends';
import { umap2, UmapCancelled } from '../umap';
import { loadTfBrowser, softwareRenderers, wasmThreads } from '../tf/browser';
import { datasetFor } from './data';
import { probeSet } from '../probe';
import { EVAL_CAP, PROBE_CAP, type DataInput, type EmbeddingSpace, type EncoderFormat, type FileOut, type FromWorker, type RunSettings, type ToWorker } from './protocol';

const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);
let program: TrainingProgram | undefined;
/** The run's data, for the probe after it. */
let runData: Dataset | undefined;
let paused = false;
let stopped = false;
let wake: (() => void) | undefined;
/** The embedding messages of this run so far (the first carries the labels); the UMAP requests so far (a newer one, or a cancel, ends the one under way). */
let embeddingsSent = 0;
let umapRun = 0;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'start': return void run(message.doc, message.settings, message.data, message.resume);
    case 'preview': return void preview(message.doc, message.data, message.seed);
    case 'pause': paused = true; return;
    case 'resume': paused = false; wake?.(); return;
    case 'stop': stopped = true; paused = false; wake?.(); return;
    case 'encoder-files': return void sendEncoder(message.format);
    case 'probe': return void probe();
    case 'umap': return void umap(message.id, message.space, message.epochs);
    case 'umap-cancel': umapRun++; return;
    default: assertNever(message, 'message to the worker');
  }
};

async function run(text: string, settings: RunSettings, data: DataInput | undefined, resume?: CheckpointFiles) {
  let deviceLost: string | undefined;
  try {
    const parsed = parseGraph(text);
    if (!parsed.ok) throw new Error(parsed.errors[0].message);
    post({ type: 'status', text: 'starting tfjs…' });
    const tf = await loadTfBrowser();
    const backend = await selectBackend(tf, settings.backend, settings.backend === 'auto' ? await softwareRenderers() : {});
    post({ type: 'backend', name: backend.name, reason: backend.reason, threads: backend.name === 'wasm' ? wasmThreads() : undefined });
    const device = backend.name === 'webgpu' ? (tf.backend() as unknown as { device: GPUDevice }).device : undefined;
    void device?.lost.then((info) => { deviceLost = `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`; });
    post({ type: 'status', text: 'loading data…' });
    const { dataset, note } = await datasetFor(parsed.doc, data, import.meta.env.BASE_URL);
    post({ type: 'data', name: dataset.name, count: dataset.train.count, note });
    runData = dataset;
    embeddingsSent = 0;
    program?.dispose();
    program = compile(parsed.doc, { dataset, steps: settings.steps, batchSize: settings.batchSize, seed: settings.seed });
    program.init();
    if (resume) await loadCheckpoint(program, resume, 'checkpoint');
    post({ type: 'status', text: backend.name === 'webgpu' ? 'compiling shaders (the first step is slow)…' : 'training…' });
    for (let k = program.stepsDone; k < settings.steps && !stopped; k++) {
      // On wasm and cpu a step settles in microtasks only: without a macrotask turn, pause/stop would wait for the whole run.
      await new Promise((r) => setTimeout(r, 0));
      if (paused) await new Promise<void>((r) => { wake = r; });
      if (stopped) break;
      if (k + 1 === settings.loseDeviceAt) device?.destroy();
      if (k + 1 === settings.crashAt) setTimeout(() => { throw new Error(`injected crash before step ${k + 1}`); });
      const injected = k + 1 === settings.injectNanAt ? nanViews(parsed.doc, settings.batchSize, tf) : undefined;
      const metrics = await program.step(injected).finally(() => injected && tf.dispose([...injected.values()].flatMap((o) => Object.values(o))));
      post({ type: 'step', metrics, totalSteps: settings.steps, numTensors: tf.memory().numTensors, state: program.stateFigures() });
      if (metrics.effRank !== undefined) postEmbedding(program, dataset);
      if (metrics.step === 1 || metrics.step % settings.checkpointEvery === 0) {
        const files = await saveCheckpoint(program);
        if (files) post({ type: 'checkpoint', step: metrics.step, files }, [files.tensors.buffer as ArrayBuffer]);
      }
      if (settings.evalEvery > 0 && metrics.step % settings.evalEvery === 0 && metrics.step < settings.steps) await evaluate(program, dataset, metrics.step, false);
    }
    // The final evaluation, where evaluations are on.
    if (!stopped && settings.evalEvery > 0) await evaluate(program, dataset, program.stepsDone, true);
    post({ type: 'done', reason: stopped ? 'stopped' : 'completed' });
  } catch (e) {
    const step = e instanceof NonFiniteLossError ? e.step : undefined;
    await new Promise((r) => setTimeout(r, 0)); // let device.lost settle: it explains the error that follows it
    if (deviceLost) post({ type: 'failed', message: `${deviceLost}; the run stopped at step ${program?.stepsDone ?? 0}`, deviceLost: true });
    else post({ type: 'failed', message: e instanceof Error ? e.message : String(e), step });
  }
}

/** kNN top-1 on the document's sizes up to the browser's cap; the page is told first what it evaluates, since it takes a while. */
async function evaluate(program: TrainingProgram, dataset: Dataset, step: number, final: boolean) {
  const { bankSize, querySize } = program.settings.evaluation;
  const bank = Math.min(head(dataset.train, bankSize).count, EVAL_CAP.bank);
  const queries = Math.min(head(dataset.test, querySize).count, EVAL_CAP.queries);
  post({ type: 'evaluating', step, queries, bank, final });
  post({ type: 'eval', step, knnTop1: (await program.evaluate({ bank, queries })).knnTop1 });
}

/**
 * The linear probe of the encoder as it is now (linear-probe.ts) on at most
 * PROBE_CAP's images. A set whose test split is its train split (the
 * embedded one) trains the probe on the images after the test ones: never
 * on the images it is scored on.
 */
async function probe() {
  if (!program || !runData) return post({ type: 'probe-failed', message: 'nothing trained yet' });
  try {
    const { train, test } = runData;
    const overlap = train.images === test.images;
    const skip = overlap ? Math.min(PROBE_CAP.test, test.count) : 0;
    const per = train.height * train.width * train.channels;
    const rest = { ...train, images: train.images.subarray(skip * per), labels: train.labels.subarray(skip), count: train.count - skip };
    if (!rest.count) throw new Error('the data has no images left to train the probe on');
    post({ type: 'probe-progress', iteration: 0, maxIterations: 0 });
    const r = await probeEncoder(program, { ...runData, train: rest }, PROBE_CAP, { onProgress: (p) => post({ type: 'probe-progress', iteration: p.iteration, maxIterations: p.maxIterations, loss: p.loss }) });
    post({ type: 'probe', step: program.stepsDone, top1: r.top1, train: r.train, test: r.test, iterations: r.iterations, stop: r.stop });
  } catch (e) {
    post({ type: 'probe-failed', message: e instanceof Error ? e.message : String(e) });
  }
}

/** The probe set in 2-D at this rank step (program.embedding: computed with the rank): 512×2 floats per space. */
function postEmbedding(program: TrainingProgram, dataset: Dataset) {
  const e = program.embedding;
  if (!e) return;
  const out = (s: typeof e.z) => ({ points: s.pca.points.slice(), singular: s.pca.singular, spread: s.pca.spread });
  const [features, z] = [out(e.features), out(e.z)];
  const first = embeddingsSent++ === 0;
  const set = probeSet(dataset);
  const names = dataset.classNames ?? Array.from({ length: dataset.classes }, (_, i) => `class ${i}`);
  post({ type: 'embedding', step: e.step, features, z, ...(first ? { labels: set.labels.slice(), classNames: [...names] } : {}) }, [features.points.buffer, z.points.buffer]);
}

/** UMAP (umap.ts, loaded now) of the last rank step's probe features, with progress; a newer request or umap-cancel stops it. */
async function umap(id: number, space: EmbeddingSpace, epochs: number) {
  const run = ++umapRun;
  const source = program?.embedding?.[space];
  if (!program?.embedding || !source) return post({ type: 'umap-failed', id, message: 'no embedding yet: it comes with the first rank step', cancelled: false });
  const step = program.embedding.step;
  try {
    const rows = source.data.length / source.dim;
    const points = await umap2(source.data, rows, source.dim, { epochs, onProgress: (epoch, total) => post({ type: 'umap-progress', id, epoch, epochs: total }), cancelled: () => run !== umapRun });
    post({ type: 'umap', id, step, points }, [points.buffer]);
  } catch (e) {
    const cancelled = e instanceof UmapCancelled;
    post({ type: 'umap-failed', id, message: cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e), cancelled });
  }
}

/** "What the network sees": the first 8 images and each augment view of them, from the augment node's current settings. */
async function preview(text: string, data: DataInput | undefined, seed: number) {
  try {
    const parsed = parseGraph(text);
    if (!parsed.ok) throw new Error(parsed.errors[0].message);
    const v = validate(parsed.doc);
    const augment = parsed.doc.nodes.find((n) => v.traits.get(n.id)?.augment && v.params.has(n.id));
    const role = augment && v.traits.get(augment.id)!.augment!;
    if (!augment || !role) throw new Error('the graph has no valid augment node to preview');
    const tf = await loadTfBrowser();
    if (!(await tf.setBackend('wasm')) && !(await tf.setBackend('cpu'))) throw new Error('no CPU backend for the preview');
    const { dataset } = await datasetFor(parsed.doc, data, import.meta.env.BASE_URL);
    const { train } = dataset;
    const n = Math.min(8, train.count);
    const per = train.height * train.width * train.channels;
    const out = tf.tidy(() => {
      const images = tf.tensor4d(Float32Array.from(train.images.subarray(0, n * per), (v) => v / 255), [n, train.height, train.width, train.channels]);
      // the augment node's own forward, alone: it has no weights
      const noWeights = () => { throw new Error('an augment node has no weights'); };
      const node = catalog.get(augment.type)!.build!({
        tf, id: augment.id, params: v.params.get(augment.id), inputs: v.shapes.get(augment.id)?.inputs ?? {}, rng: new Rng(0), param: noWeights, buffer: noWeights, state: {},
      });
      const batch = tf.expandDims(images, 0);
      const views = node.forward({ [role.input]: batch }, { mode: 'train', rng: new Rng(seed), batch, assign: () => {} })[role.output];
      const originals = tf.expandDims(tf.image.resizeBilinear(images, [views.shape[2]!, views.shape[3]!]), 0);
      return tf.clipByValue(tf.concat([originals, views]), 0, 1);
    });
    const pixels = (await out.data()) as Float32Array;
    const shape = out.shape;
    out.dispose();
    post({ type: 'preview', pixels, shape }, [pixels.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'failed', message: `preview: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/**
 * Fault injection: every augment node's views become NaN, so the loss is NaN
 * while still depending on the weights (a constant loss would have no gradient).
 */
function nanViews(doc: GraphDoc, batch: number, tf: Awaited<ReturnType<typeof loadTfBrowser>>): Overrides {
  const { shapes, traits } = validate(doc);
  return new Map(doc.nodes.flatMap((n) => {
    const role = traits.get(n.id)?.augment;
    if (!role) return [];
    const views = shapes.get(n.id)?.outputs[role.output];
    const dims = views?.kind === 'tensor' ? views.dims.map((d) => (d === 'B' ? batch : d)) : [];
    return [[n.id, { [role.output]: tf.fill(dims, Number.NaN) }]];
  }));
}

/** The encoder's files: the last good weights, also after a failed step. */
async function sendEncoder(format: EncoderFormat) {
  if (!program) return post({ type: 'encoder-files', files: [], message: 'nothing trained yet' });
  let files: FileOut[];
  if (format === 'safetensors') {
    files = [{ name: 'encoder.safetensors', bytes: encodeSafetensors(await encoderTensors(program), { format: 'siamese-studio encoder', steps: String(program.stepsDone) }) }];
  } else {
    const model = await encoderModel(program, version_core);
    files = [{ name: 'model.json', bytes: new TextEncoder().encode(model.modelJson) }, { name: 'weights.bin', bytes: model.weightsBin }];
  }
  post({ type: 'encoder-files', files }, files.map((f) => f.bytes.buffer as ArrayBuffer));
}
