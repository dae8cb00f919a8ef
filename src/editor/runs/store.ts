/**
 * The run history: every run started in this browser, kept in IndexedDB as
 * it goes (db.ts, writer.ts), listed, renamed, deleted, selected for
 * comparison, exported as a run folder and imported from one. The run under
 * way is recorded from the training store: its log is written every second,
 * its entry (status, last good figures) with it; a closed tab keeps what was
 * written. Nothing here touches tensors.
 */
import { computed, effectScope, reactive, ref, toRaw, watch } from 'vue';
import { serializeGraph } from '../../graph';
import { loggedFigures, type MetricsRecord, type RunForComparison } from '../../runtime/compare/runs';
import { fileStem } from '../download';
import { useTraining, type RunStatus } from '../stores/training';
import { indexedRunsDb, type RunsDb } from './db';
import type { FolderFiles } from './folder';
import { assembleRecords, stepRecord, toComparison, type KeptRun, type KeptStatus, type RunMeta } from './record';
import { numberedName } from './names';
import { isQuotaError, RunWriter } from './writer';

export { toComparison };
const WEIGHTS_KEY = 'siamese-studio.runs.keep-weights';
const FLUSH_MS = 1000;
/** Without Web Locks: a 'running' entry not written for this long belongs to a page that closed (or crashed) during the run. */
const ORPHAN_MS = 10_000;
/** The page recording a run holds this Web Lock until the run ends; the browser releases it when the tab closes, reloads or crashes. */
const lockName = (id: string) => `siamese-studio.run.${id}`;

const terminal = (s: RunStatus): s is 'completed' | 'stopped' | 'failed' => s === 'completed' || s === 'stopped' || s === 'failed';
const newId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** The history, one per page; a reactive object, not a Pinia store: importing pinia here would split vue's chunks and grow the first load. */
// Its own detached effect scope: created by the panel's setup, its watchers must outlive the panel.
export const useRuns = () => (runs ??= effectScope(true).run(createRuns)!);
let runs: ReturnType<typeof createRuns> | undefined;

function createRuns() {
  const training = useTraining();
  const db: RunsDb = indexedRunsDb();
  /** Newest first. */
  const list = ref<RunMeta[]>([]);
  const loaded = ref(false);
  const selected = ref<string[]>([]);
  /** Why the history cannot be written (a full quota, no IndexedDB): shown until a write succeeds. */
  const problem = ref('');
  const storage = ref<{ usage: number; quota: number }>();
  const keepWeights = ref(localStorage.getItem(WEIGHTS_KEY) === '1');
  watch(keepWeights, (on) => localStorage.setItem(WEIGHTS_KEY, on ? '1' : '0'));

  let writer: RunWriter | undefined;
  let written = { steps: 0, evals: 0 };
  let timer: ReturnType<typeof setInterval> | undefined;
  let releaseLock: (() => void) | undefined;
  function holdLock(id: string) {
    releaseLock?.();
    void navigator.locks?.request(lockName(id), () => new Promise<void>((resolve) => { releaseLock = resolve; }));
  }

  const upsert = (meta: RunMeta) => {
    const others = list.value.filter((r) => r.id !== meta.id);
    list.value = [meta, ...others].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  };

  async function refreshStorage() {
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    storage.value = estimate?.quota ? { usage: estimate.usage ?? 0, quota: estimate.quota } : undefined;
  }

  async function load() {
    try {
      const metas = await db.list();
      const held = navigator.locks ? new Set((await navigator.locks.query()).held?.map((l) => l.name)) : undefined;
      const orphaned = (m: RunMeta) => m.status === 'running' && m.id !== writer?.meta.id && (held ? !held.has(lockName(m.id)) : Date.now() - m.updatedAt > ORPHAN_MS);
      for (const meta of metas.filter(orphaned)) {
        Object.assign(meta, { status: 'failed', reason: `the page was closed or reloaded during the run: kept up to step ${meta.done.steps}` });
        meta.done.error = meta.reason;
        await db.put(meta);
      }
      list.value = [...metas, ...list.value.filter((r) => !metas.some((m) => m.id === r.id))].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    } catch (e) {
      problem.value = `The run history is unavailable: ${String(e)}`;
    }
    loaded.value = true;
    await refreshStorage();
  }
  const loading = load();

  // ---- recording the run under way
  function collect() {
    if (!writer) return;
    const steps = training.steps.slice(written.steps).map(stepRecord);
    const evals: MetricsRecord[] = training.evals.slice(written.evals).map((e) => ({ step: e.step, knnTop1: e.knnTop1 }));
    written = { steps: training.steps.length, evals: training.evals.length };
    // the CLI's order: a step, then its evaluation
    writer.append([...steps, ...evals].sort((a, b) => (a.step ?? 0) - (b.step ?? 0) || Number(a.knnTop1 !== undefined) - Number(b.knnTop1 !== undefined)));
    const b = training.backend;
    const figures = loggedFigures(writer.records);
    writer.meta = {
      ...writer.meta,
      backend: b && { name: b.name, reason: b.reason, threads: b.threads },
      data: training.dataInfo || writer.meta.data,
      done: { ...writer.meta.done, ...figures, done: true, steps: figures.steps ?? 0, backend: b?.name, seconds: Math.round((Date.now() - Date.parse(writer.meta.createdAt)) / 100) / 10 },
    };
  }

  async function flush() {
    if (!writer) return;
    const w = writer;
    const r = await w.flush();
    upsert(w.meta);
    if (r.ok) {
      problem.value = '';
      if (w.meta.status !== 'running' && !w.unsaved) stopTimer();
    } else {
      problem.value = isQuotaError(r.error)
        ? `Browser storage is full: run "${w.meta.name}" is kept in this tab only (${w.unsaved} records not saved). Delete or export older runs; saving retries every second.`
        : `Saving run "${w.meta.name}" failed: ${String(r.error)}; it is kept in this tab, saving retries every second.`;
    }
  }
  const tick = () => { collect(); void flush(); };
  const stopTimer = () => { clearInterval(timer); timer = undefined; };
  const startTimer = () => { timer ??= setInterval(tick, FLUSH_MS); };

  function begin() {
    const doc = training.runDoc;
    if (!doc) return;
    const s = training.settings;
    const id = newId();
    /** "SimSiam #3": numbered among the runs of the same method, a name no other run has, once the history is read (this module may arrive with the run). */
    const numbered = () => {
      const others = list.value.filter((r) => r.id !== id);
      return numberedName(doc.name, new Set(others.map((r) => r.name)), others.filter((r) => r.method === doc.name).length + 1);
    };
    writer = new RunWriter(db, {
      id,
      name: numbered(),
      createdAt: new Date().toISOString(),
      updatedAt: Date.now(),
      doc: serializeGraph(doc),
      method: doc.name,
      settings: { steps: s.steps, batchSize: s.batchSize, seed: s.seed, evalEvery: s.evalEvery, backend: s.backend },
      data: training.dataLabel || 'the embedded Fashion-MNIST set',
      status: 'running',
      done: { done: true, steps: 0 },
      source: 'browser',
    });
    written = { steps: 0, evals: 0 };
    holdLock(id);
    startTimer();
    void flush();
    void loading.then(() => {
      if (writer?.meta.id === id && writer.meta.name !== numbered()) writer.meta = { ...writer.meta, name: numbered() };
    });
  }

  /** A failed run continues from its checkpoint: the log drops what came after it, as the CLI's resume does. */
  function continued() {
    if (!writer) return;
    const at = training.steps.at(-1)?.step ?? 0;
    writer.append([{ resumedAt: at } as MetricsRecord]);
    written = { steps: training.steps.length, evals: training.evals.length };
    writer.meta = { ...writer.meta, status: 'running', reason: undefined, done: { ...writer.meta.done, error: undefined } };
    holdLock(writer.meta.id);
    startTimer();
  }

  async function finish(status: KeptStatus, reason: string | undefined) {
    if (!writer || writer.meta.status !== 'running') return;
    collect();
    const w = writer;
    w.meta = { ...w.meta, status, reason, done: { ...w.meta.done, ...(status === 'failed' && { error: reason }), ...(status === 'stopped' && { interrupted: true }) } };
    await flush();
    releaseLock?.();
    releaseLock = undefined;
    if (keepWeights.value && w.meta.done.steps > 0) {
      try {
        const [file] = await training.encoder('safetensors');
        await db.putWeights(w.meta.id, file.bytes);
        w.meta = { ...w.meta, weightsBytes: file.bytes.byteLength };
        await flush();
      } catch (e) {
        problem.value = `The encoder of run "${w.meta.name}" was not kept: ${isQuotaError(e) ? 'browser storage is full' : String(e)}`;
      }
    }
    await refreshStorage();
  }

  watch(() => [training.runNumber, training.status] as const, ([number, status], [number0, status0]) => {
    if (number !== number0) return begin();
    if (status === 'starting' && status0 === 'failed') return continued();
    ended(status);
  });
  /** The run ended (idle: training.discard() forgot it, its graph replaced): its status and why. */
  function ended(status: RunStatus) {
    if (terminal(status)) void finish(status, status === 'completed' ? undefined : training.message || undefined);
    else if (status === 'idle') void finish('stopped', 'the graph was replaced during the run');
  }

  // Loaded by the first run's start (App.vue): that run is recorded from its first step.
  if (training.runNumber > 0 && training.runDoc) {
    begin();
    ended(training.status); // a run that ended before this module arrived
  }

  // Evaluate: the probe's result belongs to the run it evaluated (the last one).
  watch(() => training.probe, (p) => {
    if (p?.state !== 'done' || !writer || writer.meta.status === 'running') return;
    writer.meta = { ...writer.meta, probe: { step: p.step, top1: p.top1, train: p.train, test: p.test, iterations: p.iterations } };
    void flush();
  });

  // ---- the panel's actions
  async function run(id: string): Promise<KeptRun> {
    if (writer?.meta.id === id) return { ...writer.meta, records: [...writer.records] };
    const meta = list.value.find((r) => r.id === id);
    if (!meta) throw new Error(`no run ${id}`);
    return { ...meta, records: assembleRecords(await db.chunks(id)) };
  }

  /** The kept run that is `found`: the same graph, settings and log (a folder imported twice, or exported from this history). */
  async function keptAlready(found: KeptRun): Promise<RunMeta | undefined> {
    const log = JSON.stringify(found.records);
    const settings = (r: RunMeta) => JSON.stringify([r.settings.steps, r.settings.batchSize, r.settings.seed]);
    for (const r of list.value.filter((m) => m.doc === found.doc && m.done.steps === found.done.steps && settings(m) === settings(found))) {
      if (JSON.stringify((await run(r.id)).records) === log) return r;
    }
    return undefined;
  }

  async function save(meta: RunMeta): Promise<boolean> {
    try {
      await db.put(meta);
      return true;
    } catch (e) {
      problem.value = isQuotaError(e) ? 'Browser storage is full: delete or export older runs.' : `The run history could not be written: ${String(e)}`;
      return false;
    }
  }

  return reactive({
    list, loaded, selected, problem, storage, keepWeights,
    /** The run under way (its entry is being written). */
    liveId: computed(() => (training.active ? writer?.meta.id : undefined)),
    run,
    async rename(id: string, name: string): Promise<void> {
      const shown = list.value.find((r) => r.id === id);
      const trimmed = name.trim();
      if (!shown || !trimmed || trimmed === shown.name) return;
      const renamed = { ...toRaw(shown), name: trimmed }; // plain data: IndexedDB cannot clone Vue's proxies
      if (writer?.meta.id === id) writer.meta = { ...writer.meta, name: trimmed };
      upsert(renamed);
      await save(renamed);
    },
    async remove(id: string): Promise<void> {
      try {
        await db.remove(id);
      } catch (e) {
        problem.value = `Run not deleted: ${String(e)}`;
        return;
      }
      if (writer?.meta.id === id) { stopTimer(); writer = undefined; }
      list.value = list.value.filter((r) => r.id !== id);
      selected.value = selected.value.filter((s) => s !== id);
      await refreshStorage();
    },
    /** The run folder (run.json, graph.json, metrics.jsonl, encoder.safetensors if kept) as NAME.zip's bytes. */
    async exportZip(id: string): Promise<{ name: string; bytes: Uint8Array }> {
      const [{ runFolderFiles }, { zipSync }] = await Promise.all([import('./folder'), import('fflate')]);
      const kept = await run(id);
      const stem = fileStem(kept.name);
      const weights = kept.weightsBytes ? await db.weights(id) : undefined;
      return { name: `${stem}.zip`, bytes: zipSync(Object.fromEntries(runFolderFiles(kept, weights).map((f) => [`${stem}/${f.name}`, f.bytes]))) };
    },
    /**
     * Reads a CLI run folder into the history; throws (a one-line message naming the file) on bad input, leaving the history as it was.
     * A run already in it (imported before, or exported from it) is not added again: `already` is that run.
     */
    async importFolder(files: FolderFiles, folder: string): Promise<{ meta: RunMeta; already: boolean }> {
      const { readRunFolder } = await import('./folder');
      const { run: kept, weights } = await readRunFolder(files, folder);
      const already = await keptAlready(kept);
      if (already) return { meta: already, already: true };
      const name = numberedName(kept.name, new Set(list.value.map((r) => r.name)), 0); // a name of its own: the comparison shows it as the panel does
      const { records, ...meta } = { ...kept, id: newId(), name };
      try {
        await db.put(meta, { seq: 0, records });
        if (weights) await db.putWeights(meta.id, weights);
      } catch (e) {
        await db.remove(meta.id).catch(() => undefined); // all of it or none
        throw new Error(`${folder}: not imported: ${isQuotaError(e) ? 'browser storage is full (delete or export older runs)' : String(e)}`);
      }
      upsert(meta);
      await refreshStorage();
      return { meta, already: false };
    },
    /** A run's name in the history (the Runs panel's, as renamed): what a comparison calls it. */
    nameOf(id: string): string | undefined {
      return writer?.meta.id === id ? writer.meta.name : list.value.find((r) => r.id === id)?.name;
    },
    /** The history's id of the training store's run (the last one started in this page); read when asked (the writer is not reactive). */
    recordedId(): string | undefined {
      return writer?.meta.id;
    },
    /** The selected runs, oldest first, as the comparison view takes them. */
    async comparison(): Promise<RunForComparison[]> {
      const ids = list.value.filter((r) => selected.value.includes(r.id)).reverse().map((r) => r.id);
      return Promise.all(ids.map(async (id) => toComparison(await run(id))));
    },
  });
}
