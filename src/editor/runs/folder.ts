/**
 * A kept run as a run folder in the CLI's --out layout (src/cli/run-folder.ts:
 * run.json, graph.json, metrics.jsonl, encoder.safetensors where weights were
 * kept), and a CLI run folder read into a kept run. Reading refuses bad input
 * with one line naming the file; it never touches the history itself.
 */
import { parseGraph, serializeGraph, TrainingSchema } from '../../graph';
import { loggedFigures, type MetricsRecord } from '../../runtime/compare/runs';
import type { FileOut } from '../../runtime/worker/protocol';
import { logOf, type DoneRecord, type KeptRun, type KeptStatus } from './record';

const RUN_FORMAT = 'siamese-studio.run';
export const RUN_FILES = { run: 'run.json', graph: 'graph.json', metrics: 'metrics.jsonl', encoder: 'encoder.safetensors' } as const;
/** Larger files than these are not a run folder of ours (the CLI's own limits). */
const MAX_BYTES = { run: 2 ** 20, graph: 2 ** 26, metrics: 2 ** 30 } as const;

export class RunFolderError extends Error {}

const text = (s: string) => new TextEncoder().encode(s);

/** The folder's files; `weights`: the kept encoder.safetensors. */
export function runFolderFiles(run: KeptRun, weights?: Uint8Array): FileOut[] {
  const { steps, batchSize, seed } = run.settings;
  // settings: what the CLI merges over graph.json's training block; the rest says where the run came from (the CLI reads only format and settings).
  const runJson = { format: RUN_FORMAT, version: 1, settings: { steps, batchSize, seed }, name: run.name, createdAt: run.createdAt, status: run.status, ...(run.reason && { reason: run.reason }), backend: run.backend, data: run.data };
  const files: FileOut[] = [
    { name: RUN_FILES.run, bytes: text(`${JSON.stringify(runJson)}\n`) },
    { name: RUN_FILES.graph, bytes: text(run.doc) },
    { name: RUN_FILES.metrics, bytes: text(logOf(run).map((r) => `${JSON.stringify(r)}\n`).join('')) },
  ];
  if (weights) files.push({ name: RUN_FILES.encoder, bytes: weights });
  return files;
}

/** The files of a picked or dropped folder, by their path inside it (its own name left out). */
export type FolderFiles = Map<string, File | Uint8Array>;

async function read(files: FolderFiles, folder: string, key: keyof typeof MAX_BYTES, required: boolean): Promise<string | undefined> {
  const name = RUN_FILES[key];
  const f = files.get(name);
  if (!f) {
    if (required) throw new RunFolderError(`${folder}: no ${name} — not a Siamese Studio run folder (train --out writes run.json, graph.json and metrics.jsonl)`);
    return undefined;
  }
  const size = f instanceof Uint8Array ? f.byteLength : f.size;
  if (size > MAX_BYTES[key]) throw new RunFolderError(`${folder}/${name}: ${size} bytes, more than a run's ${name} can be (${MAX_BYTES[key]})`);
  return f instanceof Uint8Array ? new TextDecoder().decode(f) : f.text();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A CLI run folder as a kept run (not yet stored), and its encoder's bytes where it has them. */
export async function readRunFolder(files: FolderFiles, folder: string, now = new Date()): Promise<{ run: KeptRun; weights?: Uint8Array }> {
  const runText = (await read(files, folder, 'run', true))!;
  let runJson: unknown;
  try {
    runJson = JSON.parse(runText);
  } catch (e) {
    throw new RunFolderError(`${folder}/${RUN_FILES.run}: not JSON (${(e as Error).message})`);
  }
  if (!isObject(runJson) || runJson.format !== RUN_FORMAT) throw new RunFolderError(`${folder}/${RUN_FILES.run}: its format is not "${RUN_FORMAT}" — not a Siamese Studio run folder`);
  const parsed = parseGraph((await read(files, folder, 'graph', true))!);
  if (!parsed.ok) throw new RunFolderError(`${folder}/${RUN_FILES.graph}: ${parsed.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const doc = parsed.doc;
  const settings = TrainingSchema.safeParse({ ...doc.training, ...(isObject(runJson.settings) ? runJson.settings : {}) });
  if (!settings.success) throw new RunFolderError(`${folder}/${RUN_FILES.run}: settings: ${settings.error.issues[0]?.message}`);
  const records = metricsRecords((await read(files, folder, 'metrics', true))!, folder);
  const encoder = files.get(RUN_FILES.encoder);
  const weights = encoder === undefined ? undefined : encoder instanceof Uint8Array ? encoder : new Uint8Array(await encoder.arrayBuffer());
  const done = records.findLast((r) => r.done) as DoneRecord | undefined;
  const logged = records.filter((r) => !r.done);
  const figures = loggedFigures(logged);
  const { status, reason } = statusOf(done);
  const name = typeof runJson.name === 'string' && runJson.name.trim() ? runJson.name : folder;
  return {
    run: {
      id: '',
      name,
      createdAt: startOf(runJson, files.get(RUN_FILES.run)!) ?? now.toISOString(),
      updatedAt: now.getTime(),
      doc: serializeGraph(doc),
      method: doc.name,
      settings: { steps: settings.data.steps, batchSize: settings.data.batchSize, seed: settings.data.seed },
      backend: typeof done?.backend === 'string' ? { name: done.backend } : undefined,
      data: typeof runJson.data === 'string' ? runJson.data : `imported from ${folder}`,
      status,
      reason,
      done: { ...figures, ...done, done: true, steps: done?.steps ?? figures.steps ?? 0, knnTop1: figures.knnTop1 },
      probe: typeof done?.probeTop1 === 'number' ? { step: done.steps ?? 0, top1: done.probeTop1, train: 0, test: 0, iterations: 0 } : undefined,
      weightsBytes: weights?.byteLength,
      source: 'imported',
      records: logged,
    },
    weights,
  };
}

/**
 * When the run started (the history's date for it, not the import's): run.json's
 * createdAt, else (a folder from before train recorded it) when run.json was
 * written, which train does as the run starts, where the file says.
 */
function startOf(runJson: Record<string, unknown>, file: File | Uint8Array): string | undefined {
  if (typeof runJson.createdAt === 'string' && Number.isFinite(Date.parse(runJson.createdAt))) return new Date(runJson.createdAt).toISOString();
  return file instanceof Uint8Array || !file.lastModified ? undefined : new Date(file.lastModified).toISOString();
}

/** How a CLI run ended, from its done record: an error, Ctrl-C, or the end (none: cut short before it). */
function statusOf(done: DoneRecord | undefined): { status: KeptStatus; reason?: string } {
  if (!done) return { status: 'stopped', reason: 'its log has no done record: the run was cut short' };
  if (typeof done.error === 'string') return { status: 'failed', reason: done.error };
  if (done.interrupted) return { status: 'stopped', reason: 'interrupted (Ctrl-C)' };
  return { status: 'completed' };
}

/** metrics.jsonl's records; the half line of a killed write is skipped, as the CLI skips it; any other bad line is refused. */
function metricsRecords(log: string, folder: string): MetricsRecord[] {
  const lines = log.split('\n');
  return lines.flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      const r = JSON.parse(line) as unknown;
      if (isObject(r)) return [r as MetricsRecord];
    } catch {
      if (i === lines.length - 1) return []; // the last line, unterminated: a killed write
    }
    throw new RunFolderError(`${folder}/${RUN_FILES.metrics}: line ${i + 1} is not a JSON object`);
  });
}
