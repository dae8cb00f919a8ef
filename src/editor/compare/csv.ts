/**
 * The comparison as CSV (RFC 4180): the table of final figures, one row per
 * run, and the per-step metrics in long form, one row per run and step.
 * Numbers are written in full (no rounding); an absent figure is an empty cell.
 */
import { shownText } from '../../graph/shown-text';
import type { FinalFigures, MetricsRecord, RunForComparison } from '../../runtime/compare/runs';

type Cell = string | number | boolean | undefined;

/**
 * One cell. Text (run and document names) shows its control, bidi and
 * invisible characters as their codes, as the app does (shownText, line
 * breaks kept: a file printed to a terminal must not drive it), is quoted
 * where it holds a comma, quote or line break, and text a spreadsheet would run as a formula (starting with
 * = + - @) is prefixed with ' so it stays text.
 */
export function csvCell(v: Cell): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  const shown = shownText(v, 'newline');
  const text = /^[=+\-@]/.test(shown) ? `'${shown}` : shown;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const line = (cells: Cell[]) => cells.map(csvCell).join(',');

/** A CSV file: the header, then a line per row, CRLF-terminated (RFC 4180). */
export const csvText = (header: readonly string[], rows: Cell[][]) => [line([...header]), ...rows.map(line)].join('\r\n') + '\r\n';

const FIGURES = ['run', 'method', 'steps', 'loss', 'collapseStd', 'stdReference', 'effRank', 'dim', 'knnTop1', 'probeTop1', 'collapsed'] as const satisfies readonly (keyof FinalFigures)[];

/** The table of final figures: a header, then a row per run. */
export function figuresCsv(figures: FinalFigures[]): string {
  return csvText(FIGURES, figures.map((f) => FIGURES.map((k) => f[k])));
}

const METRICS = ['loss', 'collapseStd', 'stdReference', 'effRank', 'dim', 'knnTop1'] as const satisfies readonly (keyof MetricsRecord)[];

/** The per-step metrics of every run: run, step, then each metric where that step has it (a step's kNN record merged in). */
export function metricsCsv(runs: RunForComparison[]): string {
  const rows = runs.flatMap((run) => {
    const byStep = new Map<number, MetricsRecord>();
    for (const r of run.records) {
      if (r.done || typeof r.step !== 'number') continue;
      byStep.set(r.step, { ...byStep.get(r.step), ...r });
    }
    return [...byStep.entries()].sort(([a], [b]) => a - b).map(([step, r]): Cell[] => [run.name, step, ...METRICS.map((k) => r[k])]);
  });
  return csvText(['run', 'step', ...METRICS], rows);
}
