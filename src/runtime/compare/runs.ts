/**
 * A comparison of two or more runs (a graph document, the settings it was
 * trained with, its per-step metrics and final figures): the differences of
 * each from the first in words, a table of final figures, and one overlay
 * per metric. The same for the CLI's run folders and the editor's runs.
 */
import type { GraphDoc, TrainingSettings } from '../../graph';
import { isCollapsed } from '../collapse';
import { describeDifferences } from './graph-diff';

/** One record of a run's metrics log: a step's metrics, its kNN evaluation, or the final figures (done). */
export interface MetricsRecord {
  step?: number;
  loss?: number;
  collapseStd?: number;
  stdReference?: number;
  effRank?: number;
  dim?: number;
  knnTop1?: number;
  probeTop1?: number;
  collapsed?: boolean;
  done?: boolean;
  steps?: number;
}

export interface RunForComparison {
  name: string;
  doc: GraphDoc;
  /** The settings it was trained with (the document's, with the run's overrides). */
  training: TrainingSettings;
  records: MetricsRecord[];
  /** Where it ran, where its record says (run.json): the backend and the data. */
  setup?: RunSetup;
}

export interface RunSetup {
  backend?: string;
  /** The dataset, e.g. "fashion-mnist (10000)": its name and training images. */
  data?: string;
}

/** A run's row of the table: the final figures its log holds, by the log's own field names. */
export interface FinalFigures extends Pick<MetricsRecord, 'loss' | 'collapseStd' | 'stdReference' | 'effRank' | 'dim' | 'knnTop1' | 'probeTop1' | 'collapsed'> {
  run: string;
  method: string;
  steps: number;
}

export type MetricName = 'loss' | 'std' | 'rank' | 'knn';

export interface Overlay {
  metric: MetricName;
  title: string;
  yLabel: string;
  reference?: { y: number; label: string };
  /** Its values are fractions, shown as per cent (kNN top-1). */
  percent?: boolean;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}

export interface Comparison {
  /** How each run after the first differs from the first. */
  differences: Array<{ run: string; against: string; changes: string[] }>;
  figures: FinalFigures[];
  overlays: Overlay[];
}

export function compareRuns(runs: RunForComparison[]): Comparison {
  const [first, ...rest] = runs;
  return {
    differences: rest.map((r) => ({ run: r.name, against: first.name, changes: [...describeDifferences(first.doc, r.doc, first.training, r.training), ...setupDifferences(first.setup, r.setup)] })),
    figures: runs.map(finalFigures),
    overlays: overlays(runs),
  };
}

/** "backend wasm → webgpu", "data A → B": what both runs record and differs in (a run without the record says nothing). */
export function setupDifferences(before: RunSetup = {}, after: RunSetup = {}): string[] {
  return (['backend', 'data'] as const).flatMap((key) => {
    const [a, b] = [before[key], after[key]];
    return a !== undefined && b !== undefined && a !== b ? [`${key} ${a} → ${b}`] : [];
  });
}

/** The figures of a log's step records, each metric's last measured value (a failed run's last good ones). */
type LoggedFigures = Pick<MetricsRecord, 'loss' | 'collapseStd' | 'stdReference' | 'effRank' | 'dim' | 'knnTop1' | 'collapsed'> & { steps?: number };

/**
 * The final figures a log holds without its done record: the last step's
 * number, each metric's last logged value, d (from 1/√d where the step
 * records carry only the reference) and the collapse verdict on them (the
 * rule of runtime/collapse.ts). Empty for a log without a step.
 */
export function loggedFigures(records: MetricsRecord[]): LoggedFigures {
  const steps = records.filter((r) => !r.done && typeof r.step === 'number');
  const lastOf = <K extends keyof LoggedFigures & keyof MetricsRecord>(key: K) => steps.findLast((r) => typeof r[key] === 'number')?.[key] as number | undefined;
  const lastStep = steps.findLast((r) => r.loss !== undefined);
  if (!lastStep) return {};
  const f: LoggedFigures = {
    steps: lastStep.step,
    loss: lastOf('loss'),
    collapseStd: lastOf('collapseStd'),
    stdReference: lastOf('stdReference'),
    effRank: lastOf('effRank'),
    dim: lastOf('dim') ?? dimOf(lastOf('stdReference')),
    knnTop1: lastOf('knnTop1'),
  };
  f.collapsed = f.collapseStd !== undefined && f.dim !== undefined ? isCollapsed(f.collapseStd, f.effRank, f.dim) : undefined;
  return f;
}

/** The done record's figures, else (a run stopped without one) the log's (loggedFigures). */
export function finalFigures(run: RunForComparison): FinalFigures {
  const done = run.records.findLast((r) => r.done) ?? {};
  const logged = loggedFigures(run.records);
  const pick = (key: 'loss' | 'collapseStd' | 'stdReference' | 'effRank' | 'dim') => done[key] ?? logged[key];
  const f: FinalFigures = {
    run: run.name,
    method: run.doc.name,
    steps: done.steps ?? logged.steps ?? 0,
    loss: pick('loss'),
    collapseStd: pick('collapseStd'),
    stdReference: pick('stdReference'),
    effRank: pick('effRank'),
    dim: pick('dim') ?? dimOf(pick('stdReference')),
    knnTop1: done.knnTop1 ?? logged.knnTop1,
    probeTop1: done.probeTop1,
  };
  f.collapsed = done.collapsed ?? (f.collapseStd !== undefined && f.dim !== undefined ? isCollapsed(f.collapseStd, f.effRank, f.dim) : undefined);
  return f;
}

/** d from the std's reference 1/√d (step records carry the reference, the done record d itself). */
const dimOf = (reference: number | undefined) => (reference ? Math.round(1 / reference ** 2) : undefined);

function overlays(runs: RunForComparison[]): Overlay[] {
  const dims = new Set(runs.map((r) => finalFigures(r).dim));
  const dim = dims.size === 1 ? [...dims][0] : undefined; // a reference line only where every run has the same d
  const specs: Array<Omit<Overlay, 'series'> & { pick: (r: MetricsRecord) => number | undefined }> = [
    { metric: 'loss', title: 'Loss', yLabel: 'loss', pick: (r) => r.loss },
    { metric: 'std', title: 'Std of the l2-normalized projector output', yLabel: 'std', pick: (r) => r.collapseStd, reference: dim ? { y: 1 / Math.sqrt(dim), label: '1/√d' } : undefined },
    { metric: 'rank', title: 'Effective rank of the projector output (RankMe)', yLabel: 'effective rank', pick: (r) => r.effRank, reference: dim ? { y: dim / 10, label: 'd/10: collapsed below' } : undefined },
    { metric: 'knn', title: 'kNN top-1', yLabel: 'top-1 (%)', percent: true, pick: (r) => r.knnTop1 },
  ];
  return specs
    .map(({ pick, ...spec }) => ({
      ...spec,
      series: runs.map((run) => ({
        name: run.name,
        points: run.records.flatMap((r): Array<[number, number]> => {
          const v = pick(r);
          return typeof r.step === 'number' && !r.done && typeof v === 'number' ? [[r.step, v]] : [];
        }),
      })),
    }))
    .filter((o) => o.series.some((s) => s.points.length)); // kNN only where some run evaluated
}
