/**
 * A training run in the Web Worker, seen from the page: settings, status,
 * the streamed metrics. The page never does tensor work. Steps, batch, seed
 * and the evaluation come from the document's `training` block; only the
 * backend, the data and a quick run (which says so) are the page's own.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef, watch } from 'vue';
import { serializeGraph, trainedKey, type GraphDoc } from '../../graph';
import type { NodeStateFigure, StepMetrics } from '../../runtime/program';
import { isCollapsed } from '../../runtime/collapse';
import type { CheckpointFiles } from '../../runtime/checkpoint';
import { rememberedBackendChoice } from '../backend-choice';
import type { DataInput, EncoderFormat, FileOut, FromWorker, RunSettings, ToWorker } from '../../runtime/worker/protocol';
import { useDocumentStore } from './document';
import { useEmbedding } from './embedding';

/** "Try it": a short run at a small batch, whatever the document says (the document keeps its own values). */
export const QUICK_RUN = { steps: 30, batchSize: 32 } as const;

export type RunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed';

/** The linear probe of the run's encoder (Evaluate): under way with its progress, its result, or why it failed. */
export type ProbeState =
  | { state: 'running'; iteration: number; maxIterations: number }
  | { state: 'done'; step: number; top1: number; train: number; test: number; iterations: number }
  | { state: 'failed'; message: string };

export const useTraining = defineStore('training', () => {
  const documentStore = useDocumentStore();
  /** Remembered across reloads; Train waits while a remembered one is tried (backendChecking). */
  const { choice: backendChoice, checking: backendChecking } = rememberedBackendChoice();
  const quickRun = ref(false);
  /** What a run started now would use: the document's settings, or the quick run's steps and batch. */
  const next = (): RunSettings => {
    const t = documentStore.doc.training;
    const size = quickRun.value ? QUICK_RUN : t;
    return { steps: size.steps, batchSize: size.batchSize, seed: t.seed, evalEvery: t.evaluation.everySteps, backend: backendChoice.value, checkpointEvery: 10 };
  };
  /** The settings of the current (or last) run. */
  const settings = ref<RunSettings>(next());
  /** The evaluation under way: what the strip says while it runs. */
  const evaluating = ref<{ step: number; queries: number; bank: number; final: boolean }>();
  const status = ref<RunStatus>('idle');
  const message = ref('');
  const backend = ref<{ name: string; reason: string; threads?: number }>();
  const steps = shallowRef<StepMetrics[]>([]);
  const evals = shallowRef<{ step: number; knnTop1: number }[]>([]);
  const probe = ref<ProbeState>();
  const totalSteps = ref(0);
  /** The batch size of the current run (the settings may change after it starts). */
  const runBatch = ref<number>();
  const numTensors = ref<number[]>([]);
  /** What the nodes' training state holds after the last step (a MoCo queue's keys from this run), where their kinds declare it. */
  const stateFigures = shallowRef<NodeStateFigure[]>([]);
  const startedAt = ref(0);
  /** Counts the runs start() began (a continued run keeps its number): the run history keeps one entry per number. */
  const runNumber = ref(0);
  /** The document changed since this run started: its results describe the old graph. */
  const stale = ref(false);
  /** The latest checkpoint the worker sent: where a failed run can continue from. */
  const checkpoint = shallowRef<{ step: number; files: CheckpointFiles }>();
  const deviceLost = ref(false);
  /** The user's data (files or an image folder), or undefined for the embedded set. */
  const data = shallowRef<DataInput>();
  const dataLabel = ref('');
  const dataInfo = ref('');
  let worker: Worker | undefined;
  let encoderReply: ((m: Extract<FromWorker, { type: 'encoder-files' }>) => void) | undefined;
  /** The document as trained, and what of it training computes (names, labels, positions left out). */
  const runDoc = shallowRef<GraphDoc>();
  let runKey = '';

  // Stale only when what is trained changed: moving or renaming a node is not.
  watch(() => documentStore.doc, (doc) => { if (runDoc.value && trainedKey(doc) !== runKey) stale.value = true; });

  const active = computed(() => ['starting', 'running', 'paused'].includes(status.value));
  const last = computed(() => steps.value.at(-1));
  const etaSeconds = computed(() => {
    const done = last.value?.step ?? 0;
    if (!done || status.value !== 'running') return undefined;
    return ((performance.now() - startedAt.value) / 1000 / done) * (totalSteps.value - done);
  });

  const send = (m: ToWorker) => worker?.postMessage(m);

  function onMessage(m: FromWorker) {
    if (m.type === 'status') message.value = m.text;
    else if (m.type === 'backend') backend.value = { name: m.name, reason: m.reason, threads: m.threads };
    else if (m.type === 'step') {
      if (status.value === 'starting') { status.value = 'running'; startedAt.value = performance.now(); message.value = ''; }
      steps.value.push(m.metrics); // O(1) per step; triggerRef tells readers of steps, which must derive new values from it (the array stays the same one)
      triggerRef(steps);
      totalSteps.value = m.totalSteps;
      numTensors.value = [...numTensors.value.slice(-19), m.numTensors];
      stateFigures.value = m.state;
    } else if (m.type === 'evaluating') evaluating.value = { step: m.step, queries: m.queries, bank: m.bank, final: m.final };
    else if (m.type === 'eval') { evaluating.value = undefined; evals.value = [...evals.value, { step: m.step, knnTop1: m.knnTop1 }]; }
    else if (m.type === 'done') { status.value = m.reason; message.value = m.reason === 'completed' ? 'Training completed.' : `Stopped after step ${last.value?.step ?? 0}.`; }
    else if (m.type === 'data') dataInfo.value = `${m.name}, ${m.count} images${m.note ? ` — ${m.note}` : ''}`;
    else if (m.type === 'checkpoint') checkpoint.value = { step: m.step, files: m.files };
    else if (m.type === 'failed') { evaluating.value = undefined; status.value = 'failed'; message.value = m.message; deviceLost.value = m.deviceLost ?? false; }
    else if (m.type === 'encoder-files') encoderReply?.(m);
    else if (m.type === 'probe-progress') probe.value = { state: 'running', iteration: m.iteration, maxIterations: m.maxIterations };
    else if (m.type === 'probe') probe.value = { state: 'done', step: m.step, top1: m.top1, train: m.train, test: m.test, iterations: m.iterations };
    else if (m.type === 'probe-failed') probe.value = { state: 'failed', message: m.message };
    else if (m.type === 'embedding' || m.type === 'umap-progress' || m.type === 'umap' || m.type === 'umap-failed') useEmbedding().onMessage(m);
  }

  /**
   * Starts a run of the current document; refuses (and says why) while it has
   * errors. `overrides`: settings of another run to repeat (Compare with…).
   */
  function start(overrides: Partial<RunSettings> = {}): boolean {
    const errors = documentStore.validation.problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      status.value = 'failed';
      message.value = `The graph has ${errors.length} error${errors.length > 1 ? 's' : ''}: ${errors.slice(0, 3).map((p) => (p.node ? `${p.node}: ${p.message}` : p.message)).join('; ')}`;
      return false;
    }
    steps.value = [];
    evals.value = [];
    checkpoint.value = undefined;
    stale.value = false;
    runDoc.value = documentStore.doc;
    runKey = trainedKey(documentStore.doc);
    settings.value = { ...next(), ...overrides };
    launch(documentStore.text, undefined);
    runNumber.value++;
    return true;
  }

  /** Continues the failed run from its last checkpoint on `backendChoice` (a fresh worker: a lost GPU device cannot be reused). */
  function continueFrom(backendChoice: RunSettings['backend']) {
    const saved = checkpoint.value;
    if (!saved || !runDoc.value) return;
    steps.value = steps.value.filter((s) => s.step <= saved.step);
    evals.value = evals.value.filter((e) => e.step <= saved.step);
    settings.value = { ...settings.value, backend: backendChoice };
    launch(serializeGraph(runDoc.value), saved.files);
  }

  function launch(doc: string, resume: CheckpointFiles | undefined) {
    worker?.terminate();
    worker = newWorker();
    worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    worker.onerror = (e) => {
      // An uncaught error leaves the worker in an unknown state: end it; the last checkpoint can continue the run.
      worker?.terminate();
      status.value = 'failed';
      message.value = `The training worker crashed: ${e.message || 'unknown error'}`;
      if (probe.value?.state === 'running') probe.value = { state: 'failed', message: message.value };
    };
    numTensors.value = [];
    stateFigures.value = [];
    evaluating.value = undefined;
    probe.value = undefined;
    useEmbedding().reset();
    backend.value = undefined;
    deviceLost.value = false;
    totalSteps.value = settings.value.steps;
    runBatch.value = settings.value.batchSize;
    status.value = 'starting';
    message.value = resume ? 'continuing from the last checkpoint…' : 'starting…';
    const query = new URLSearchParams(location.search);
    const fault = (name: string) => Number(query.get(name)) || undefined;
    // Fault injection applies to the first launch only: a continued run should get past it.
    const injected = resume ? {} : { injectNanAt: fault('inject-nan-at'), loseDeviceAt: fault('lose-device-at'), crashAt: fault('crash-worker-at') };
    send({ type: 'start', doc, settings: { ...settings.value, ...injected }, data: data.value, resume: resume && { json: resume.json, tensors: resume.tensors.slice() } });
  }

  const newWorker = () => new Worker(new URL('../../runtime/worker/train.worker.ts', import.meta.url), { type: 'module' });

  /** "What the network sees": the originals and the augment views of 8 images, from a short-lived worker of its own. */
  function preview(): Promise<{ pixels: Float32Array; shape: number[] }> {
    const w = newWorker();
    return new Promise<{ pixels: Float32Array; shape: number[] }>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.type === 'preview') resolve(e.data);
        else if (e.data.type === 'failed') reject(new Error(e.data.message));
      };
      w.onerror = (e) => reject(new Error(e.message || 'the preview worker crashed'));
      w.postMessage({ type: 'preview', doc: documentStore.text, data: data.value, seed: documentStore.doc.training.seed } satisfies ToWorker);
    }).finally(() => w.terminate());
  }

  return {
    data, dataLabel, dataInfo, preview,
    /** Uses the user's data from now on (undefined: the embedded set). */
    useData(input: DataInput | undefined, label: string) { data.value = input; dataLabel.value = label; },
    settings, backendChoice, backendChecking, quickRun, evaluating, probe, runDoc, runNumber, status, message, backend, steps, evals, totalSteps, runBatch, checkpoint, deviceLost, continueFrom, numTensors, stateFigures, stale, active, last, etaSeconds,
    start,
    /** A message to the run's worker (the embedding view's UMAP). */
    toWorker: send,
    /**
     * Forgets the run (its worker ends): the document it trained was replaced
     * (a template, New, an import), and its results must not show under another graph.
     */
    discard() {
      worker?.terminate();
      worker = undefined;
      steps.value = [];
      evals.value = [];
      numTensors.value = [];
      stateFigures.value = [];
      checkpoint.value = undefined;
      runDoc.value = undefined;
      evaluating.value = undefined;
      probe.value = undefined;
      useEmbedding().reset();
      backend.value = undefined;
      stale.value = false;
      totalSteps.value = 0;
      status.value = 'idle';
      message.value = '';
      dataInfo.value = '';
    },
    pause() { if (status.value === 'running') { send({ type: 'pause' }); status.value = 'paused'; } },
    resume() { if (status.value === 'paused') { send({ type: 'resume' }); status.value = 'running'; } },
    stop() { if (active.value) send({ type: 'stop' }); },
    /** Evaluate: the linear probe of the finished run's encoder, in its worker (progress and result in `probe`). */
    evaluateProbe() {
      if (!worker || active.value || probe.value?.state === 'running') return;
      probe.value = { state: 'running', iteration: 0, maxIterations: 0 };
      send({ type: 'probe' });
    },
    /** The encoder's files from the worker: the last good weights, also after a failure. */
    encoder(format: EncoderFormat): Promise<FileOut[]> {
      return new Promise((resolve, reject) => {
        if (!worker) return reject(new Error('nothing trained yet'));
        encoderReply = (m) => (m.files.length ? resolve(m.files) : reject(new Error(m.message ?? 'no encoder')));
        send({ type: 'encoder-files', format });
      });
    },
    /** The metrics as CSV: one row per step; kNN on the steps it was evaluated (the CSV writer loads with the first download). */
    async csv(): Promise<string> {
      const { csvText } = await import('../compare/csv');
      const knn = new Map(evals.value.map((e) => [e.step, e.knnTop1]));
      const cols = ['step', 'loss', 'collapseStd', 'stdReference', 'effRank', 'encoderEffRank', 'lr', 'tau', 'imagesPerSec'] as const;
      return csvText([...cols, 'knnTop1'], steps.value.map((s) => [...cols.map((c) => s[c]), knn.get(s.step)]));
    },
    /** The run report: the document as trained, the settings, the backend and the final metrics. */
    report(): string {
      const final = steps.value.at(-1);
      const rank = [...steps.value].reverse().find((s) => s.effRank !== undefined);
      return JSON.stringify({
        format: 'siamese-studio.run-report', document: runDoc.value, settings: { ...settings.value, batchSize: runBatch.value }, backend: backend.value,
        status: status.value, message: message.value, steps: final?.step ?? 0, final, effRank: rank?.effRank, encoderEffRank: rank?.encoderEffRank,
        knn: evals.value, probe: probe.value?.state === 'done' ? probe.value : undefined, collapsed: final ? isCollapsed(final.collapseStd, rank?.effRank, final.dim) : undefined,
      }, null, 2) + '\n';
    },
  };
});
