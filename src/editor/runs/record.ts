/**
 * A run kept in the browser's history: what it trained (the canonical
 * document, the settings with the run's overrides), where (backend, threads,
 * data), how it went (status and reason, wall time) and its metrics log,
 * records of the CLI's metrics.jsonl: one per step, one per kNN evaluation,
 * and the done record of final figures (the last good ones, for a failed run).
 */
import { parseGraph, TrainingSchema, type GraphDoc } from '../../graph';
import type { MetricsRecord, RunForComparison } from '../../runtime/compare/runs';
import type { StepMetrics } from '../../runtime/program';

export type KeptStatus = 'running' | 'completed' | 'stopped' | 'failed';

/** The done record of a run's log: final figures, why it ended, its time. */
export interface DoneRecord extends MetricsRecord {
  done: true;
  steps: number;
  backend?: string;
  seconds?: number;
  error?: string;
  interrupted?: boolean;
}

/** A run's entry in the history (without its metrics, which are stored in chunks). */
export interface RunMeta {
  id: string;
  name: string;
  /** ISO date of its start (an imported run's own, from its run folder). */
  createdAt: string;
  /** Date.now() of its last write: a 'running' entry not written for a while belongs to a page that closed. */
  updatedAt: number;
  /** The graph as trained: serializeGraph's canonical text. */
  doc: string;
  method: string;
  settings: { steps: number; batchSize: number; seed: number; evalEvery?: number; backend?: string };
  backend?: { name: string; reason?: string; threads?: number };
  data: string;
  status: KeptStatus;
  reason?: string;
  done: DoneRecord;
  probe?: { step: number; top1: number; train: number; test: number; iterations: number };
  /** Bytes of the kept encoder.safetensors; absent: none kept. */
  weightsBytes?: number;
  source: 'browser' | 'imported';
}

/** A kept run with its whole log. */
export interface KeptRun extends RunMeta {
  records: MetricsRecord[];
}

/** A step's record, as the CLI logs it (plus d, which the CLI's step records leave to the done record). */
export function stepRecord(m: StepMetrics): MetricsRecord & Record<string, number> {
  const r: Record<string, number> = { step: m.step, loss: m.loss, collapseStd: m.collapseStd, stdReference: m.stdReference, dim: m.dim, lr: m.lr, imagesPerSec: m.imagesPerSec };
  if (m.tau !== undefined) r.tau = m.tau;
  if (m.effRank !== undefined) r.effRank = m.effRank;
  if (m.encoderEffRank !== undefined) r.encoderEffRank = m.encoderEffRank;
  return r;
}

/**
 * The log as stored chunk after chunk, read back in order. A continued run
 * (from its checkpoint) writes `{ resumedAt: K }` first: what was logged
 * after step K before it is dropped, as the CLI's resume drops it.
 */
export function assembleRecords(chunks: MetricsRecord[][]): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (const record of chunks.flat()) {
    const resumedAt = (record as { resumedAt?: unknown }).resumedAt;
    if (typeof resumedAt === 'number') {
      for (let i = out.length - 1; i >= 0; i--) if ((out[i].step ?? 0) > resumedAt) out.splice(i, 1);
      continue;
    }
    out.push(record);
  }
  return out;
}

/** The log with its done record last, the probe's top-1 in it: metrics.jsonl's records. */
export const logOf = (run: KeptRun): MetricsRecord[] => [...run.records, { ...run.done, ...(run.probe && { probeTop1: run.probe.top1 }) }];

export const docOf = (run: RunMeta): GraphDoc => {
  const parsed = parseGraph(run.doc);
  if (!parsed.ok) throw new Error(`run "${run.name}": its graph does not read back: ${parsed.errors[0]?.message}`);
  return parsed.doc;
};

/** What the comparison view takes: the document, the settings it was trained with (the run's overrides on the document's), the log, where it ran. */
export function toComparison(run: KeptRun): RunForComparison {
  const doc = docOf(run);
  const { steps, batchSize, seed } = run.settings;
  return { name: run.name, doc, training: TrainingSchema.parse({ ...doc.training, steps, batchSize, seed }), records: logOf(run), setup: { backend: run.backend?.name, data: run.data } };
}

