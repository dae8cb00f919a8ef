/**
 * npm run reproduce [-- --steps N --batch B --only NAME,NAME --subset K --with-pytorch --out DIR]
 *
 * Trains the reference workload on Fashion-MNIST (best CPU backend) for a
 * random-init encoder (no training), SimSiam, BYOL, SimCLR, MoCo v2, Barlow
 * Twins, VICReg and every collapse-lab template; evaluates kNN top-1 (k = 200, t = 0.1; the 60k train split as
 * bank and the 10k test split as queries unless --subset K takes the first K
 * of each) and the linear probe's (src/runtime/linear-probe.ts: the same
 * splits), with the probe on raw pixels (the identity "encoder") as a
 * reference row; writes DIR (default results/): README.md (one table, the
 * references and then each family — negatives, asymmetry, decorrelation — with
 * its papers and their ablations; and a reading: each ablation against the
 * paper template it differs least from, in words and numbers, beside the
 * outcome its description expects), metrics-NAME.jsonl, and loss.svg,
 * std.svg, rank.svg. --with-pytorch runs
 * the same through the exported scripts (Debian's python3-torch) and adds
 * their columns (with --subset, the script's data folder holds the same first K
 * images of each split). Collapsed: std < 0.1/√d or effective rank (on the probe set:
 * the first 512 test images, src/runtime/probe.ts) < d/10 at the end.
 * --keep continues an earlier reproduce into the same DIR: the runs recorded
 * in DIR/runs.json are kept and not trained again (a full reproduce takes
 * hours on two cores; it can be done in parts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parseGraph, type GraphDoc } from '../src/graph';
import { expectedOutcome, families, familyOf } from '../src/nodes/families';
import { describeDifferences } from '../src/runtime/compare/graph-diff';
import { FASHION_MNIST_FILES, head, type Dataset } from '../src/runtime/data/dataset';
import { DEBIAN_FASHION_MNIST, loadDatasetSpec } from '../src/runtime/data/node';
import { knnPredict, top1 } from '../src/runtime/knn';
import { pixelFeatures, probeEncoder, probePixels } from '../src/runtime/linear-probe';
import { isCollapsed } from '../src/runtime/metrics';
import { compile, type StepMetrics } from '../src/runtime/program';
import { exportPytorch } from '../src/runtime/pytorch/export';
import { selectBackend } from '../src/runtime/tf/backends';
import { loadTfNode } from '../src/runtime/tf/node';
import { lineChart, type Series } from '../src/runtime/line-chart';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' }, batch: { type: 'string' }, only: { type: 'string' }, subset: { type: 'string', default: '0' },
    'with-pytorch': { type: 'boolean', default: false }, out: { type: 'string', default: 'results' }, keep: { type: 'boolean', default: false },
  },
});
/** One batch's loss is noisy; the table reports the mean over the last FINAL_WINDOW steps (both columns alike). */
const FINAL_WINDOW = 10;
const STEPS = Number(args.steps);
const SUBSET = Number(args.subset);
const root = new URL('..', import.meta.url).pathname;
const templatesDir = join(root, 'templates');
const load = (name: string): GraphDoc => {
  const r = parseGraph(readFileSync(join(templatesDir, `${name}.json`), 'utf8'));
  if (!r.ok) throw new Error(`templates/${name}.json: ${r.errors[0].message}`);
  return r.doc;
};
/** raw-pixels: no encoder, the images themselves as features (the reference row); random-init: the encoder untrained. */
/** The papers' templates (each family's in this order); every other collapse-* template is an ablation of the one it differs least from. */
const PAPERS = ['simsiam', 'byol', 'simclr', 'moco-v2', 'barlow-twins', 'vicreg'];
const ABLATIONS = readdirSync(templatesDir).filter((f) => f.startsWith('collapse-')).map((f) => f.slice(0, -5)).sort();
/** The references (no family), then by family in the gallery's order: its papers, then its ablations. */
const FAMILY_OF = new Map([...PAPERS, ...ABLATIONS].map((name) => [name, familyOf(load(name))]));
const RUNS = ['raw-pixels', 'random-init', ...families.flatMap(({ family }) => [...PAPERS, ...ABLATIONS].filter((name) => FAMILY_OF.get(name) === family))];
/** An ablation's method: the paper template of its family it differs least from, and how it differs, in words. */
const ABLATION_OF = new Map(ABLATIONS.map((name) => {
  const doc = load(name);
  const [best] = PAPERS.filter((p) => FAMILY_OF.get(p) === FAMILY_OF.get(name))
    .map((p) => ({ paper: p, changes: describeDifferences(load(p), doc) }))
    .sort((a, b) => a.changes.length - b.changes.length);
  return [name, best];
}));
const runs = args.only ? args.only.split(',').map((s) => s.trim()) : RUNS;
for (const r of runs) if (!RUNS.includes(r)) throw new Error(`--only: no run "${r}" (runs: ${RUNS.join(', ')})`);

interface Row {
  name: string;
  method: string;
  steps: number;
  seconds: number;
  backend: string;
  loss?: number;
  std?: number;
  dim: number;
  rank?: number;
  encoderRank?: number;
  knn: number;
  /** The linear probe's top-1 (absent in a runs.json from before the probe). */
  probe?: number;
  collapsed: boolean;
  torch?: { loss?: number; knn?: number; probe?: number; std?: number; rank?: number; collapsed?: boolean; seconds: number };
}

const tf = await loadTfNode();
const backend = await selectBackend(tf, 'auto', { webgpu: 'reproduce runs on the best CPU backend' });
const full = await loadDatasetSpec('fashion-mnist');
const dataset: Dataset = SUBSET ? { ...full, train: head(full.train, SUBSET), test: head(full.test, SUBSET) } : full;
const pythonData = args['with-pytorch'] ? scriptData() : DEBIAN_FASHION_MNIST;
const out = resolve(root, args.out!);
mkdirSync(out, { recursive: true });
const rows: Row[] = [];
const curves = new Map<string, StepMetrics[]>();
if (args.keep) {
  const kept = JSON.parse(readFileSync(join(out, 'runs.json'), 'utf8')) as { steps: number; subset: number; batch: string | null; rows: Row[] };
  if (kept.steps !== STEPS || kept.subset !== SUBSET || kept.batch !== (args.batch ?? null)) {
    throw new Error(`--keep: ${out}/runs.json was made with --steps ${kept.steps} --subset ${kept.subset} --batch ${kept.batch ?? 'default'}; run with the same settings`);
  }
  for (const row of kept.rows) {
    rows.push(row);
    curves.set(row.name, readFileSync(join(out, `metrics-${row.name}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  console.error(`--keep: ${rows.map((r) => r.name).join(', ') || 'nothing'} already in ${out}`);
}

for (const name of runs) {
  if (rows.some((r) => r.name === name)) continue;
  if (name === 'raw-pixels') {
    rows.push(await rawPixelsRow());
    rows.sort((a, b) => RUNS.indexOf(a.name) - RUNS.indexOf(b.name));
    curves.set(name, []);
    writeFileSync(join(out, `metrics-${name}.jsonl`), '');
    writeResults();
    continue;
  }
  const doc = load(name === 'random-init' ? 'simsiam' : name);
  doc.training.evaluation = { ...doc.training.evaluation, bankSize: 0, querySize: 0 };
  const steps = name === 'random-init' ? 0 : STEPS;
  const program = compile(doc, { dataset, steps: Math.max(steps, 1), batchSize: args.batch ? Number(args.batch) : undefined });
  program.init();
  const started = performance.now();
  const metrics: StepMetrics[] = [];
  for (let i = 0; i < steps; i++) {
    const m = await program.step();
    metrics.push(m);
    if (m.step % 10 === 0 || m.step === steps) console.error(`${name}: step ${m.step}/${steps} loss ${m.loss.toFixed(4)} std ${m.collapseStd.toFixed(4)}${m.effRank ? ` rank ${m.effRank.toFixed(1)}` : ''}`);
  }
  const knn = (await program.evaluate()).knnTop1;
  const probe = (await probeEncoder(program, dataset)).top1;
  const seconds = (performance.now() - started) / 1000;
  const last = metrics[metrics.length - 1];
  const lastRank = [...metrics].reverse().find((m) => m.effRank !== undefined);
  const dim = program.monitor.dim;
  const row: Row = {
    name, method: name === 'random-init' ? 'random-init encoder (no training)' : doc.name, steps, seconds, backend: backend.name, dim,
    loss: finalLoss(metrics), std: last?.collapseStd, rank: lastRank?.effRank, encoderRank: lastRank?.encoderEffRank, knn, probe,
    collapsed: last ? isCollapsed(last.collapseStd, lastRank?.effRank, dim) : false,
  };
  program.dispose();
  if (args['with-pytorch'] && steps > 0) row.torch = pytorchRun(doc, steps);
  else if (args['with-pytorch']) row.torch = { probe: pytorchProbe(doc, 'encoder'), seconds: 0 };
  rows.push(row);
  rows.sort((a, b) => RUNS.indexOf(a.name) - RUNS.indexOf(b.name));
  curves.set(name, metrics);
  writeFileSync(join(out, `metrics-${name}.jsonl`), metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : ''));
  console.error(`${name}: kNN top-1 ${(100 * knn).toFixed(2)} %, linear probe top-1 ${(100 * probe).toFixed(2)} % in ${seconds.toFixed(0)} s`);
  writeResults(); // after every run, so a long reproduce leaves its table so far
}
console.log(writeResults());

/** How the table was made; a table continued with --keep was made in parts, by the same settings. */
function madeBy(): string {
  const date = new Date().toISOString().slice(0, 10);
  const argv = process.argv.slice(2);
  if (!args.keep) return `Made by \`npm run reproduce${argv.length ? ` -- ${argv.join(' ')}` : ''}\` on ${date}`;
  const settings = argv.filter((a, i) => a !== '--keep' && a !== '--only' && !a.startsWith('--only=') && argv[i - 1] !== '--only');
  return `Made by \`npm run reproduce${settings.length ? ` -- ${settings.join(' ')}` : ''}\`, in parts (a few runs at a time with \`--only\`, continued with \`--keep\`), finished on ${date}`;
}

function finalLoss(metrics: { loss: number }[]): number | undefined {
  const tail = metrics.slice(-FINAL_WINDOW);
  return tail.length ? tail.reduce((s, m) => s + m.loss, 0) / tail.length : undefined;
}

/** The raw pixels as features (bytes / 255): the probe's and kNN's reference, no training. */
async function rawPixelsRow(): Promise<Row> {
  const started = performance.now();
  const probe = (await probePixels(dataset)).top1;
  const [bank, queries] = [pixelFeatures(dataset.train), pixelFeatures(dataset.test)];
  const e = load('simsiam').training.evaluation;
  const knn = top1(await knnPredict(queries, bank, Int32Array.from(dataset.train.labels), { k: e.k, temperature: e.temperature, classes: dataset.classes }), dataset.test.labels);
  tf.dispose([bank, queries]);
  const row: Row = { name: 'raw-pixels', method: 'raw pixels (no encoder, reference)', steps: 0, seconds: (performance.now() - started) / 1000, backend: backend.name, dim: NaN, knn, probe, collapsed: false };
  if (args['with-pytorch']) row.torch = { probe: pytorchProbe(load('simsiam'), 'pixels'), seconds: 0 };
  console.error(`raw-pixels: kNN top-1 ${(100 * knn).toFixed(2)} %, linear probe top-1 ${(100 * probe).toFixed(2)} %`);
  return row;
}

/** The folder the exported scripts read: Debian's Fashion-MNIST, or (--subset K) its first K images of each split, as raw IDX. */
function scriptData(): string {
  if (!SUBSET) return DEBIAN_FASHION_MNIST;
  const dir = mkdtempSync(join(tmpdir(), 'reproduce-data-'));
  const cut = (name: string, itemBytes: number) => {
    const bytes = gunzipSync(readFileSync(join(DEBIAN_FASHION_MNIST, `${name}.gz`)));
    const start = 4 + 4 * bytes[3];
    const header = Buffer.from(bytes.subarray(0, start));
    header.writeUInt32BE(SUBSET, 4);
    writeFileSync(join(dir, name), Buffer.concat([header, bytes.subarray(start, start + SUBSET * itemBytes)]));
  };
  const f = FASHION_MNIST_FILES;
  for (const [name, itemBytes] of [[f.trainImages, 784], [f.trainLabels, 1], [f.testImages, 784], [f.testLabels, 1]] as const) cut(name, itemBytes);
  return dir;
}

function pytorchProbe(doc: GraphDoc, what: 'encoder' | 'pixels'): number {
  // The exported script's probe of its untrained encoder (seeded as the script seeds it) or of the raw pixels, on the script's data.
  const code = String.raw`
import importlib.util, json, sys, torch
script, data, seed, what = sys.argv[1:5]
spec = importlib.util.spec_from_file_location('exported', script)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
(tx, ty), (vx, vy) = train.load_data(train.DATASET['source'], data)
if what == 'pixels':
    pixels = lambda x: x.reshape(len(x), -1).float() / 255
    r = train.linear_probe(pixels(tx), ty, pixels(vx), vy, 10)
else:
    torch.manual_seed(int(seed))
    r = train.probe_encoder(getattr(train.Graph(), train.ENCODER), tx, ty, vx, vy, train.CROP_SIZE)
print(json.dumps(r))
`;
  const dir = mkdtempSync(join(tmpdir(), 'reproduce-'));
  writeFileSync(join(dir, 'train.py'), exportPytorch(doc));
  const text = execFileSync('/usr/bin/python3', ['-c', code, join(dir, 'train.py'), pythonData, String(doc.training.seed), what], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(text.trim().split('\n').pop()!).top1;
}

function pytorchRun(doc: GraphDoc, steps: number): Row['torch'] {
  const dir = mkdtempSync(join(tmpdir(), 'reproduce-'));
  writeFileSync(join(dir, 'train.py'), exportPytorch({ ...doc, training: { ...doc.training, evaluation: { ...doc.training.evaluation, bankSize: SUBSET, querySize: SUBSET } } }));
  const started = performance.now();
  const text = execFileSync('/usr/bin/python3', [join(dir, 'train.py'), '--data', pythonData, '--steps', String(steps), '--eval-every', String(steps), '--probe',
    '--out', join(dir, 'out'), ...(args.batch ? ['--batch', args.batch] : [])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const records = text.trim().split('\n').map((l) => JSON.parse(l));
  const stepsOnly = records.filter((r) => typeof r.loss === 'number');
  const last = stepsOnly[stepsOnly.length - 1];
  const lastRank = [...stepsOnly].reverse().find((r) => r.effRank !== undefined);
  const knn = records.find((r) => 'knnTop1' in r)?.knnTop1;
  const probe = records.find((r) => r.done)?.probeTop1;
  return { loss: finalLoss(stepsOnly), std: last?.collapseStd, rank: lastRank?.effRank, knn, probe, seconds: (performance.now() - started) / 1000,
    collapsed: last ? isCollapsed(last.collapseStd, lastRank?.effRank, 1 / last.stdReference ** 2) : undefined };
}

function f(x: number | undefined, digits = 4): string { return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits); }
function pct(x: number | undefined): string { return x === undefined ? '–' : `${(100 * x).toFixed(2)} %`; }

/** Each ablation beside its method, in numbers, with the outcome its description expects (from the papers): where they disagree shows. */
function reading(): string {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const items = ABLATIONS.flatMap((name) => {
    const [a, base] = [byName.get(name), byName.get(ABLATION_OF.get(name)!.paper)];
    if (!a || !base) return [];
    const move = (label: string, x: number | undefined, y: number | undefined, show: (v: number | undefined) => string) => (x === undefined && y === undefined ? [] : [`${label} ${show(x)} → ${show(y)}`]);
    const verdict = (r: Row) => (r.collapsed ? 'collapsed' : 'not collapsed');
    const torch = a.torch?.collapsed === undefined ? '' : ` (PyTorch: ${a.torch.collapsed ? 'collapsed' : 'not collapsed'})`;
    const expected = expectedOutcome(load(name).description);
    return [`- **${a.method}** against ${base.method} (${ABLATION_OF.get(name)!.changes.join('; ')}): ${[
      move('final loss', base.loss, a.loss, f), move('std', base.std, a.std, f), move(`rank z (of ${a.dim}; d/10 = ${a.dim / 10})`, base.rank, a.rank, (v) => f(v, 1)),
      move('kNN', base.knn, a.knn, pct), move('probe', base.probe, a.probe, pct)].flat().join(', ')}; ${verdict(a)}${torch}.${expected ? ` Expected: ${expected}` : ''}`];
  });
  return items.length ? `\n## Reading: each ablation against its method\n\nThe change in words (what differs in the graph and settings), the figures of the method → the ablation, and the\noutcome the template's description expects from its paper. Where the verdict and the expectation disagree, this budget (${STEPS} steps) did not reproduce the claim.\n\n${items.join('\n')}\n` : '';
}

/** Writes README.md (the table grouped by family, the reading) and the plots for the rows so far; returns the table. */
function writeResults(): string {
  writeFileSync(join(out, 'runs.json'), JSON.stringify({ steps: STEPS, subset: SUBSET, batch: args.batch ?? null, rows }, null, 1) + '\n');
  const withTorch = rows.some((r) => r.torch);
  const header = ['method', 'steps', 'wall time', 'backend', `final loss (mean of last ${FINAL_WINDOW})`, 'std (1/√d)', 'rank z / d', 'rank features', 'kNN top-1', 'probe top-1', 'collapsed',
    ...(withTorch ? ['PyTorch loss', 'PyTorch std', 'PyTorch rank z', 'PyTorch kNN', 'PyTorch probe', 'PyTorch collapsed'] : [])];
  const line = (r: Row) => `| ${[r.method, r.steps, `${r.seconds.toFixed(0)} s`, r.backend, f(r.loss), `${f(r.std)} (${f(1 / Math.sqrt(r.dim))})`,
    r.rank === undefined ? '–' : `${f(r.rank, 1)} / ${r.dim}`, f(r.encoderRank, 1), pct(r.knn), pct(r.probe), r.dim ? (r.collapsed ? 'yes' : 'no') : '–',
    ...(withTorch ? [f(r.torch?.loss), f(r.torch?.std), f(r.torch?.rank, 1), pct(r.torch?.knn), pct(r.torch?.probe), r.torch?.collapsed === undefined ? '–' : r.torch.collapsed ? 'yes' : 'no'] : [])].join(' | ')} |`;
  const groups = [{ title: 'References', rows: rows.filter((r) => !FAMILY_OF.get(r.name)) }, ...families.map((g) => ({ title: g.title, rows: rows.filter((r) => FAMILY_OF.get(r.name) === g.family) }))];
  const table = [
    `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
    ...groups.filter((g) => g.rows.length).flatMap((g) => [`| **${g.title}** |${header.slice(1).map(() => ' ').join('|')}|`, ...g.rows.map(line)]),
  ];
  writeFileSync(join(out, 'README.md'), `# Results: the collapse lab on Fashion-MNIST

${madeBy()}:
${STEPS} steps per run on ${backend.name}, ${SUBSET ? `the first ${SUBSET} images of each split` : 'the 60k train split (bank) and 10k test split (queries)'};
kNN top-1 with k = 200, t = 0.1, cosine similarity; linear probe top-1: multinomial logistic regression (weight decay 1e-2, standardized
features, L-BFGS to convergence) on the frozen encoder's features of the same splits (docs/semantics.md, Evaluation). Collapsed: std < 0.1/√d or effective rank (on the probe set: the first 512 test images) < d/10 at the end.

${table.join('\n')}

![loss](loss.svg) ![std](std.svg) ![rank](rank.svg)
${reading()}`);
  const trained = rows.filter((r) => r.steps > 0);
  const series = (pick: (m: StepMetrics) => number | undefined): Series[] =>
    trained.map((r) => ({ name: r.method, dashed: r.collapsed, points: curves.get(r.name)!.flatMap((m) => { const y = pick(m); return y === undefined ? [] : [[m.step, y] as [number, number]]; }) }));
  const dim = trained[0]?.dim ?? 128;
  writeFileSync(join(out, 'loss.svg'), lineChart('Loss', 'loss', series((m) => m.loss)));
  writeFileSync(join(out, 'std.svg'), lineChart('Std of the l2-normalized projector output', 'std', series((m) => m.collapseStd), { y: 1 / Math.sqrt(dim), label: '1/√d' }));
  writeFileSync(join(out, 'rank.svg'), lineChart('Effective rank of the projector output (RankMe)', 'effective rank', series((m) => m.effRank), { y: dim / 10, label: 'd/10: collapsed below' }));
  return table.join('\n');
}
