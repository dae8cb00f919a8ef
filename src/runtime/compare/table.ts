/** The table of final figures as text cells: the CLI prints it, the editor's comparison view shows it. */
import type { FinalFigures } from './runs';

export const FIGURE_HEADER = ['run', 'method', 'steps', 'loss', 'std (1/√d)', 'rank (d)', 'kNN top-1', 'probe top-1', 'collapsed'] as const;

const fixed = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));
const percent = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(2)} %`);

/** A run's row, in FIGURE_HEADER's order ('—' where the run has no such figure). */
export function figureCells(f: FinalFigures): string[] {
  return [
    f.run,
    f.method,
    String(f.steps),
    fixed(f.loss, 4),
    f.collapseStd === undefined ? '—' : `${f.collapseStd.toFixed(4)} (${fixed(f.stdReference, 4)})`,
    f.effRank === undefined ? '—' : `${f.effRank.toFixed(1)} (${f.dim ?? '?'})`,
    percent(f.knnTop1),
    percent(f.probeTop1),
    f.collapsed === undefined ? '—' : f.collapsed ? 'yes' : 'no',
  ];
}
