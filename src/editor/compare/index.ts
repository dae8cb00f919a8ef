/**
 * Runs compared in the editor: openComparison shows them in the comparison
 * view (ComparisonView.vue, which App.vue loads on first use: uPlot and the
 * diff are not in the first load). This module holds only what is shown.
 */
import { shallowRef } from 'vue';
import type { RunForComparison } from '../../runtime/compare/runs';
import { numberedName } from '../runs/names';

/** The runs the comparison view shows (undefined: it is closed), each with a name of its own. */
export const shownComparison = shallowRef<RunForComparison[]>();

/** Opens the comparison of runs, in the given order (each is compared with the first); of one run, its curves and figures alone. */
export function openComparison(runs: RunForComparison[]): void {
  if (runs.length < 1) throw new Error('nothing to show: no run given');
  shownComparison.value = distinctNames(runs);
}

export function closeComparison(): void {
  shownComparison.value = undefined;
}

/** The runs with distinct names, for the legend and the table: a repeated name (two runs renamed alike) is numbered as the history numbers runs, " #2", " #3"… */
export function distinctNames(runs: RunForComparison[]): RunForComparison[] {
  const taken = new Set<string>();
  return runs.map((run) => {
    const name = numberedName(run.name, taken, 0);
    taken.add(name);
    return name === run.name ? run : { ...run, name };
  });
}
