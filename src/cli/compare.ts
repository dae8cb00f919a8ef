/**
 * siamese-studio compare RUN_DIR RUN_DIR… [--svg FILE] [--json]
 * Compares run folders (train --out): how each differs from the first in
 * words, a table of final figures, and with --svg one panel per metric with
 * a line per run. Exit 0 compared, 2 bad input (fewer than two runs, a folder
 * that is not a run folder, an unreadable graph or run.json).
 */
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGraph, TrainingSchema, type GraphDoc, type TrainingSettings } from '../graph';
import { compareRuns, type Comparison, type MetricsRecord, type RunForComparison, type RunSetup } from '../runtime/compare/runs';
import { FIGURE_HEADER, figureCells } from '../runtime/compare/table';
import { chartPanels } from '../runtime/line-chart';
import { pathKind, readRegularFile, writeFileAtomic } from './files';
import { CliError, type Io } from './io';
import { isRunFolder, METRICS_FILE, RUN_FILE, type RunAbout, type RunSettings } from './run-folder';

const USAGE = 'usage: siamese-studio compare RUN_DIR RUN_DIR… [--svg FILE] [--json]';
const MAX_METRICS_BYTES = 2 ** 30;

export async function compareCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { svg: { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${USAGE}`);
  }
  const dirs = parsed.positionals;
  if (dirs.length < 2) throw new CliError(`compare needs two or more run folders, got ${dirs.length}\n${USAGE}`);
  const runs = dirs.map((dir, i) => readRun(dir, runNames(dirs)[i]));
  const comparison = compareRuns(runs);
  if (parsed.values.svg) writeFileAtomic(parsed.values.svg, chartPanels(comparison.overlays));
  if (parsed.values.json) {
    io.out(JSON.stringify({ runs: dirs.map((dir, i) => ({ name: runs[i].name, dir, graph: runs[i].doc.name, training: runs[i].training })), ...comparison }));
  } else {
    for (const line of describeComparison(comparison)) io.out(line);
    if (parsed.values.svg) io.err(`wrote ${parsed.values.svg} (${comparison.overlays.map((o) => o.metric).join(', ')})`);
  }
  return 0;
}

/** The folders' names, or their paths where two names are the same. */
function runNames(dirs: string[]): string[] {
  const names = dirs.map((d) => basename(d.replace(/\/+$/, '')) || d);
  return new Set(names).size === names.length ? names : dirs;
}

function readRun(dir: string, name: string): RunForComparison {
  if (!isRunFolder(dir)) throw new CliError(`${dir}: not a Siamese Studio run folder (no ${RUN_FILE} of train --out)`);
  const graphFile = join(dir, 'graph.json');
  const parsed = parseGraph(readRegularFile(graphFile, 2 ** 26, 'graph document').toString('utf8'));
  if (!parsed.ok) throw new CliError(`${graphFile}: ${parsed.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const runJson = JSON.parse(readRegularFile(join(dir, RUN_FILE), 2 ** 20, 'run.json').toString('utf8')) as RunJson;
  return { name, doc: parsed.doc, training: trainedWith(dir, runJson, parsed.doc), records: readMetrics(join(dir, METRICS_FILE)), setup: setupOf(runJson) };
}

/** What compare reads of run.json (older run folders have only the format; a browser export writes the same fields). */
type RunJson = { settings?: Partial<RunSettings>; backend?: Partial<RunAbout['backend']>; data?: unknown };

/** graph.json's training block with run.json's record of what train's flags set. */
function trainedWith(dir: string, runJson: RunJson, doc: GraphDoc): TrainingSettings {
  const merged = TrainingSchema.safeParse({ ...doc.training, ...runJson.settings });
  if (!merged.success) throw new CliError(`${join(dir, RUN_FILE)}: settings: ${merged.error.issues[0]?.message}`);
  return merged.data;
}

/** The backend and data run.json records, where it does. */
const setupOf = (runJson: RunJson): RunSetup => ({
  backend: typeof runJson.backend?.name === 'string' ? runJson.backend.name : undefined,
  data: typeof runJson.data === 'string' ? runJson.data : undefined,
});

/** The metrics log's records; a line that is not a JSON object (the half line of a killed write) is skipped. */
function readMetrics(file: string): MetricsRecord[] {
  if (pathKind(file) === 'missing') return []; // a run stopped before its first step
  return readRegularFile(file, MAX_METRICS_BYTES, 'metrics log').toString('utf8').split('\n').flatMap((line) => {
    try {
      const r = JSON.parse(line) as unknown;
      return typeof r === 'object' && r !== null && !Array.isArray(r) ? [r as MetricsRecord] : [];
    } catch {
      return [];
    }
  });
}

/** The differences and the table as text lines. */
export function describeComparison(c: Comparison): string[] {
  const lines: string[] = [];
  for (const d of c.differences) {
    lines.push(`${d.run} vs ${d.against}:`);
    lines.push(...(d.changes.length ? d.changes.map((x) => `  ${x}`) : ['  trains the same graph with the same settings']));
  }
  lines.push('');
  const header = [...FIGURE_HEADER];
  const rows = c.figures.map(figureCells);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) lines.push(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  return lines;
}
