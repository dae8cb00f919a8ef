/**
 * "Compare with…" (issue #19, point 5): the run that ended stays in memory,
 * the chosen template (an ablation of the same family, or any) replaces the
 * graph on the canvas (asked as any template load is; Undo brings the old
 * graph back) and trains with the same data, seed, steps, batch, kNN
 * interval and backend; when that run ends the comparison opens. A graph
 * replaced again before it ends cancels the comparison.
 */
import { shallowRef, watch } from 'vue';
import type { RunForComparison } from '../../runtime/compare/runs';
import { BACKEND_CHOICES, type BackendChoice } from '../../runtime/tf/backends';
import type { RunSettings } from '../../runtime/worker/protocol';
import { useTraining } from '../stores/training';
import { trainedRun } from './from-training';
import { openComparison } from './index';

/** The run the one training now will be compared with, while it trains. */
export const comparedWith = shallowRef<RunForComparison>();

/** The settings that make a second run comparable: the first's, on the backend it ran on. */
export function sameSettings(settings: RunSettings, runBatch: number | undefined, ranOn: string | undefined): Partial<RunSettings> {
  const backend = BACKEND_CHOICES.find((b): b is BackendChoice => b === ranOn) ?? settings.backend;
  return { steps: settings.steps, batchSize: runBatch ?? settings.batchSize, seed: settings.seed, evalEvery: settings.evalEvery, backend };
}

/**
 * Trains template `key` like the run that ended, then compares the two.
 * `replace` loads the template onto the canvas (false: the person said no).
 */
export async function compareWith(key: string, replace: (key: string) => Promise<boolean>): Promise<boolean> {
  const training = useTraining();
  // The runs are named as the Runs panel names them (the history is loaded with the first run: this waits for nothing else).
  const history = (await import('../runs/store')).useRuns();
  if (training.active || !training.runDoc) return false;
  const firstId = history.recordedId();
  const first = trainedRun(training);
  const settings = sameSettings(training.settings, training.runBatch, training.backend?.name);
  if (!(await replace(key))) return false;
  if (!training.start(settings)) return false;
  comparedWith.value = first;
  const stop = watch(() => training.status, (status) => {
    if (status === 'starting' || status === 'running' || status === 'paused') return;
    stop();
    comparedWith.value = undefined;
    if (status === 'idle') return; // the run was discarded with its graph
    const named = (run: RunForComparison, id: string | undefined) => ({ ...run, name: (id && history.nameOf(id)) || run.name });
    openComparison([named(first, firstId), named(trainedRun(training), history.recordedId())]);
  });
  return true;
}
