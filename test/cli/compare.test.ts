/**
 * siamese-studio compare on run folders made by train --out: the diff in
 * words, the table of final figures, the SVG (one panel per metric, a line
 * per run, a point per step), --json; refusals in one line, exit 2.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { cli, jsonLines, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-compare-'));
const data = `fashion-mnist=${writeFashionMnistLike(join(dir, 'data'), 64, 32)}`;
const simsiam = join(dir, 'simsiam.json');
const noSg = join(dir, 'no-sg.json');
const [runA, runB] = [join(dir, 'simsiam'), join(dir, 'no-sg')];
const STEPS = 4;
let done: Array<Record<string, number | boolean>>;

beforeAll(async () => {
  const doc = tiny('simsiam');
  Object.assign(doc.training.evaluation, { bankSize: 0, querySize: 0, rankEverySteps: 1 });
  writeFileSync(simsiam, serializeGraph(doc));
  // the no-stop-gradient ablation of the same graph: the loss's target straight from the projector
  doc.nodes = doc.nodes.filter((n) => n.id !== 'sg');
  doc.edges = doc.edges.filter((e) => e.to.node !== 'sg').map((e) => (e.from.node === 'sg' ? { ...e, from: { node: 'proj', port: 'output' } } : e));
  doc.name = 'no stop-gradient';
  writeFileSync(noSg, serializeGraph(doc));
  const train = (graph: string, out: string, batch: string) =>
    cli('train', graph, '--data', data, '--steps', String(STEPS), '--batch', batch, '--backend', 'wasm', '--eval-every', '2', '--out', out, '--jsonl');
  const results = [await train(simsiam, runA, '16'), await train(noSg, runB, '8')];
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  done = results.map((r) => jsonLines(r.stdout).at(-1));
}, 300_000);

describe('siamese-studio compare', () => {
  it('prints how the second run differs from the first and a row of final figures per run', async () => {
    const r = await cli('compare', runA, runB);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual(['no-sg vs simsiam:', '  stop-gradient removed (loss target now from projector)', '  batch 16 → 8', '']);
    expect(lines[4].split(/ {2,}/)).toEqual(['run', 'method', 'steps', 'loss', 'std (1/√d)', 'rank (d)', 'kNN top-1', 'probe top-1', 'collapsed']);
    const row = (name: string, method: string, d: Record<string, number | boolean>) =>
      [name, method, String(STEPS), (d.loss as number).toFixed(4), `${(d.collapseStd as number).toFixed(4)} (${(d.stdReference as number).toFixed(4)})`,
        `${(d.effRank as number).toFixed(1)} (8)`, expect.stringMatching(/^\d+\.\d\d %$/), '—', d.collapsed ? 'yes' : 'no'];
    expect(lines[5].split(/ {2,}/)).toEqual(row('simsiam', 'SimSiam', done[0]));
    expect(lines[6].split(/ {2,}/)).toEqual(row('no-sg', 'no stop-gradient', done[1]));
    expect(lines.slice(7)).toEqual(['']);
  });

  it('--svg: one panel per metric, one line per run with a point per step, a legend naming both', async () => {
    const svgFile = join(dir, 'compare.svg');
    const r = await cli('compare', runA, runB, '--svg', svgFile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`wrote ${svgFile} (loss, std, rank, knn)\n`);
    const svg = readFileSync(svgFile, 'utf8');
    const panels = svg.split('<svg ').slice(2); // the outer svg, then one nested per panel
    expect(panels.map((p) => p.match(/font-weight="bold">([^<]*)</)![1])).toEqual(['Loss', 'Std of the l2-normalized projector output', 'Effective rank of the projector output (RankMe)', 'kNN top-1']);
    panels.forEach((panel, i) => {
      const paths = [...panel.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1].split(' ').length);
      expect(paths).toEqual(i === 3 ? [STEPS / 2, STEPS / 2] : [STEPS, STEPS]); // kNN every 2 steps
      expect(panel).toContain('>simsiam</text>');
      expect(panel).toContain('>no-sg</text>');
    });
  });

  it('--json: the runs with their settings, the differences, the figures and the series', async () => {
    const r = await cli('compare', runA, runB, '--json');
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.runs.map((x: { name: string; dir: string; training: { batchSize: number; steps: number } }) => [x.name, x.dir, x.training.batchSize, x.training.steps])).toEqual([['simsiam', runA, 16, STEPS], ['no-sg', runB, 8, STEPS]]);
    expect(c.differences).toEqual([{ run: 'no-sg', against: 'simsiam', changes: ['stop-gradient removed (loss target now from projector)', 'batch 16 → 8'] }]);
    expect(c.figures[1]).toMatchObject({ run: 'no-sg', steps: STEPS, loss: done[1].loss, effRank: done[1].effRank, dim: 8, collapsed: done[1].collapsed });
    const loss = c.overlays.find((o: { metric: string }) => o.metric === 'loss');
    expect(loss.series[0].points.map((p: number[]) => p[0])).toEqual([1, 2, 3, 4]);
  });

  it('a document\'s name reaches the terminal through terminalSafe: an ESC is shown as \\u001b', async () => {
    const hostile = join(dir, 'hostile');
    cpSync(runB, hostile, { recursive: true });
    const graph = JSON.parse(readFileSync(join(hostile, 'graph.json'), 'utf8'));
    graph.name = 'x\u001b[2Jy';
    writeFileSync(join(hostile, 'graph.json'), JSON.stringify(graph));
    const r = await cli('compare', runA, hostile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout.split('\n')[6]).toMatch(/^hostile {2,}x\\u001b\[2Jy {2,}4 /);
  });

  it('names the backend and the data where the runs differ in them (run.json records where and when each ran)', async () => {
    const other = join(dir, 'simsiam-cpu');
    const trained = await cli('train', simsiam, '--data', `fashion-mnist=${writeFashionMnistLike(join(dir, 'data-48'), 48, 32)}`, '--steps', String(STEPS), '--batch', '16', '--backend', 'cpu', '--eval-every', '2', '--out', other);
    expect(trained.code, trained.stderr).toBe(0);
    const runJson = JSON.parse(readFileSync(join(runA, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({ format: 'siamese-studio.run', settings: { steps: STEPS, batchSize: 16 }, backend: { name: 'wasm' }, data: 'fashion-mnist (64)' });
    expect(Math.abs(Date.now() - Date.parse(runJson.createdAt))).toBeLessThan(600_000);
    const r = await cli('compare', runA, other);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['simsiam-cpu vs simsiam:', '  backend wasm → cpu', '  data fashion-mnist (64) → fashion-mnist (48)', '']);
  }, 120_000);

  it('refuses fewer than two runs and a folder that is not a run folder, in one line, exit 2', async () => {
    const one = await cli('compare', runA);
    expect(one.code).toBe(2);
    expect(one.stderr.split('\n')[0]).toBe('siamese-studio: compare needs two or more run folders, got 1');
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const notRun = await cli('compare', runA, plain);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toBe(`siamese-studio: ${plain}: not a Siamese Studio run folder (no run.json of train --out)\n`);
    expect(notRun.stdout).toBe('');
  });
});
