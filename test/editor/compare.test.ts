/**
 * The comparison view's pure parts (src/editor/compare): the CSV it
 * downloads parses back to the runs' figures and per-step metrics (names
 * with commas, quotes, line breaks and formula starts intact as text), the
 * overlays' uPlot columns, distinct run names, and the training store's run
 * as a run to compare, repeated with the same settings.
 */
import { describe, expect, it } from 'vitest';
import { compareRuns, finalFigures, type RunForComparison } from '../../src/runtime/compare/runs';
import { overlayColumns } from '../../src/editor/compare/columns';
import { csvCell, figuresCsv, metricsCsv } from '../../src/editor/compare/csv';
import { sameSettings } from '../../src/editor/compare/compare-with';
import { trainedRun, type TrainedRun } from '../../src/editor/compare/from-training';
import { distinctNames } from '../../src/editor/compare/index';
import { numberedName } from '../../src/editor/runs/names';
import { template } from '../helpers/docs';

/** RFC 4180, as a spreadsheet reads it: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  expect(cell === '' && row.length === 0, 'the text ends with a line break').toBe(true);
  return rows;
}

const simsiam = template('simsiam');
const noSg = template('collapse-no-stop-gradient');
const d = 128;
const steps = (n: number, loss: (k: number) => number, std: number) => Array.from({ length: n }, (_, i) => ({
  step: i + 1, loss: loss(i + 1), collapseStd: std, stdReference: 1 / Math.sqrt(d), dim: d, lr: 0.05, imagesPerSec: 100, ...(i + 1 === n || (i + 1) % 10 === 0 ? { effRank: 40 - i } : {}),
}));
const store = (name: string, doc = simsiam, over: Partial<TrainedRun> = {}): TrainedRun => ({
  runDoc: { ...doc, name },
  settings: { steps: 20, batchSize: 32, seed: 7, evalEvery: 10, backend: 'auto', checkpointEvery: 10 },
  runBatch: 32,
  status: 'completed',
  steps: steps(20, (k) => -0.5 - k / 100, 0.08),
  evals: [{ step: 10, knnTop1: 0.6 }, { step: 20, knnTop1: 0.65 }],
  probe: { state: 'done', step: 20, top1: 0.7, train: 5000, test: 1000, iterations: 30 },
  ...over,
});

describe('the comparison as CSV', () => {
  it('quotes commas, quotes and line breaks, and keeps formula starts as text', () => {
    expect(csvCell('SimSiam')).toBe('SimSiam');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('a\r\u001b[2J\u202eexe')).toBe('a\\u000d\\u001b[2J\\u202eexe'); // as the app shows it: no terminal or bidi control in the file
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('the table: a header and one row per run with its final figures in full', () => {
    const runs = [trainedRun(store('SimSiam, "healthy"')), trainedRun(store('no\nstop-gradient', noSg, { probe: undefined, steps: steps(20, () => -1, 0.001) }))];
    const rows = parseCsv(figuresCsv(compareRuns(runs).figures));
    expect(rows[0]).toEqual(['run', 'method', 'steps', 'loss', 'collapseStd', 'stdReference', 'effRank', 'dim', 'knnTop1', 'probeTop1', 'collapsed']);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual(['SimSiam, "healthy"', 'SimSiam, "healthy"', '20', String(-0.5 - 20 / 100), '0.08', String(1 / Math.sqrt(d)), '21', '128', '0.65', '0.7', 'false']);
    expect(rows[2].slice(0, 3)).toEqual(['no\nstop-gradient', 'no\nstop-gradient', '20']);
    expect(rows[2][4]).toBe('0.001');
    expect(rows[2][9]).toBe(''); // no probe
    expect(rows[2][10]).toBe('true'); // std 0.001 < 0.1/√128
  });

  it('the per-step metrics: one row per run and step, the kNN merged into its step', () => {
    const runs = [trainedRun(store('a')), trainedRun(store('b', noSg, { steps: steps(12, (k) => -k, 0.05), evals: [{ step: 12, knnTop1: 0.5 }] }))];
    const rows = parseCsv(metricsCsv(runs));
    expect(rows[0]).toEqual(['run', 'step', 'loss', 'collapseStd', 'stdReference', 'effRank', 'dim', 'knnTop1']);
    expect(rows.slice(1).filter((r) => r[0] === 'a').map((r) => Number(r[1]))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows.slice(1).filter((r) => r[0] === 'b')).toHaveLength(12);
    const b12 = rows.find((r) => r[0] === 'b' && r[1] === '12')!;
    expect(b12).toEqual(['b', '12', '-12', '0.05', String(1 / Math.sqrt(d)), String(40 - 11), '128', '0.5']);
    expect(rows.find((r) => r[0] === 'a' && r[1] === '3')![7]).toBe(''); // no kNN at step 3
    expect(rows.find((r) => r[0] === 'a' && r[1] === '10')![7]).toBe('0.6');
  });
});

describe('the overlays as uPlot columns', () => {
  it('x is every step of any run; each run a column with nulls where it has no value; the reference last', () => {
    const runs = [trainedRun(store('a')), trainedRun(store('b', noSg, { steps: steps(12, (k) => -k, 0.05) }))];
    const overlays = compareRuns(runs).overlays;
    expect(overlays.map((o) => o.metric)).toEqual(['loss', 'std', 'rank', 'knn']);
    const loss = overlayColumns(overlays[0]);
    expect(loss.x).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(loss.ys).toHaveLength(2); // no reference line for the loss
    expect(loss.ys[1].filter((v) => v !== null)).toHaveLength(12);
    expect(loss.ys[1].slice(12)).toEqual(Array(8).fill(null));
    const std = overlayColumns(overlays[1]);
    expect(std.ys).toHaveLength(3);
    expect(std.ys[2]).toEqual(Array(20).fill(1 / Math.sqrt(d)));
    const rank = overlayColumns(overlays[2]);
    expect(rank.x).toEqual([10, 12, 20]);
    expect(rank.ys).toEqual([[31, null, 21], [31, 29, null], [12.8, 12.8, 12.8]]);
    const knn = overlayColumns(overlays[3], 100);
    expect(knn.x).toEqual([10, 20]);
    expect(knn.ys[0]).toEqual([60, 65]);
  });
});

describe('runs to compare', () => {
  it('a repeated name (two runs renamed alike) is numbered as the history numbers runs, #2, #3…; distinct names stay', () => {
    const r = (name: string): RunForComparison => ({ name, doc: simsiam, training: simsiam.training, records: [] });
    expect(distinctNames([r('SimSiam'), r('SimSiam'), r('x'), r('SimSiam')]).map((x) => x.name)).toEqual(['SimSiam', 'SimSiam #2', 'x', 'SimSiam #3']);
    expect(distinctNames([r('a'), r('a #2'), r('a')]).map((x) => x.name)).toEqual(['a', 'a #2', 'a #3']);
    expect(distinctNames([r('SimSiam #4'), r('SimSiam #1')]).map((x) => x.name)).toEqual(['SimSiam #4', 'SimSiam #1']);
  });

  it('the history numbers a method\'s runs with a name no other run has; an import keeps its folder\'s name where it is free', () => {
    expect(numberedName('SimSiam', new Set(['SimSiam #1', 'BYOL #1']), 2)).toBe('SimSiam #2');
    expect(numberedName('SimSiam', new Set(['SimSiam #2', 'SimSiam #3']), 2)).toBe('SimSiam #4'); // #1 deleted: the count says 2, and #2 is taken
    expect(numberedName('cli-run', new Set(['SimSiam #1']), 0)).toBe('cli-run');
    expect(numberedName('cli-run', new Set(['cli-run', 'cli-run #2']), 0)).toBe('cli-run #3');
  });

  it('the training store\'s run: the settings it ran with, its records, the probe in the done record once it ended', () => {
    const run = trainedRun(store('SimSiam'));
    expect(run.training).toMatchObject({ steps: 20, batchSize: 32, seed: 7, evaluation: { everySteps: 10 } });
    expect(run.records.filter((r) => r.loss !== undefined)).toHaveLength(20);
    expect(run.records.filter((r) => r.knnTop1 !== undefined).map((r) => r.step)).toEqual([10, 20]);
    expect(finalFigures(run)).toMatchObject({ steps: 20, probeTop1: 0.7, knnTop1: 0.65, effRank: 21, dim: 128, collapsed: false });
    const live = trainedRun(store('SimSiam', simsiam, { status: 'running' }));
    expect(live.records.some((r) => r.done)).toBe(false);
    expect(() => trainedRun(store('x', simsiam, { runDoc: undefined }))).toThrow('no run to compare');
  });

  it('Compare with… repeats steps, batch, seed and kNN interval, on the backend the first run ran on', () => {
    const s = store('a').settings;
    expect(sameSettings(s, 16, 'wasm')).toEqual({ steps: 20, batchSize: 16, seed: 7, evalEvery: 10, backend: 'wasm' });
    expect(sameSettings(s, undefined, undefined)).toEqual({ steps: 20, batchSize: 32, seed: 7, evalEvery: 10, backend: 'auto' });
  });

  it('the diff of SimSiam and its ablation names the removed stop-gradient', () => {
    const c = compareRuns([trainedRun(store('SimSiam')), trainedRun(store('no stop-gradient', noSg))]);
    expect(c.differences).toEqual([{ run: 'no stop-gradient', against: 'SimSiam', changes: ['stop-gradient removed (loss target now from projector)'] }]);
  });
});
