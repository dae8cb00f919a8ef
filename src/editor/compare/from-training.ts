/**
 * The training store's run (the one the dock shows) as a run to compare: its
 * document as trained, the settings it ran with, its step and kNN records,
 * and, once it has ended, a done record with the probe's top-1 where Evaluate
 * ran. Kept as a value: it stays when the store starts another run.
 */
import type { GraphDoc, TrainingSettings } from '../../graph';
import type { MetricsRecord, RunForComparison } from '../../runtime/compare/runs';
import type { StepMetrics } from '../../runtime/program';
import type { RunSettings } from '../../runtime/worker/protocol';
import type { ProbeState, RunStatus } from '../stores/training';

/** What of the training store a comparison reads. */
export interface TrainedRun {
  runDoc: GraphDoc | undefined;
  settings: RunSettings;
  runBatch: number | undefined;
  status: RunStatus;
  steps: StepMetrics[];
  evals: { step: number; knnTop1: number }[];
  probe: ProbeState | undefined;
}

const ENDED: readonly RunStatus[] = ['completed', 'stopped', 'failed'];

export function trainedRun(t: TrainedRun): RunForComparison {
  if (!t.runDoc) throw new Error('no run to compare: train the graph first');
  const doc = t.runDoc;
  const training: TrainingSettings = {
    ...doc.training,
    steps: t.settings.steps,
    batchSize: t.runBatch ?? t.settings.batchSize,
    seed: t.settings.seed,
    evaluation: { ...doc.training.evaluation, everySteps: t.settings.evalEvery },
  };
  const records: MetricsRecord[] = [
    ...t.steps.map(({ step, loss, collapseStd, stdReference, effRank, dim }) => ({ step, loss, collapseStd, stdReference, effRank, dim })),
    ...t.evals.map(({ step, knnTop1 }) => ({ step, knnTop1 })),
  ];
  if (ENDED.includes(t.status)) {
    records.push({ done: true, steps: t.steps.at(-1)?.step ?? 0, probeTop1: t.probe?.state === 'done' ? t.probe.top1 : undefined });
  }
  return { name: doc.name, doc, training, records };
}
