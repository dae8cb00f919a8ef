/**
 * Parity of the tfjs runtime and the exported PyTorch script: the same
 * initial weights, the same batch (fixed views: augmentation off), for each
 * template — the loss within 1e-4 and every parameter's gradient within 1e-4
 * of its norm — each, or within its own rounding tolerance (below) where that
 * is larger (a loss of ~200, as Barlow Twins', is known to 7 float32 ulps = 1e-4);
 * then 3 optimizer steps (+ EMA updates): each step's loss and
 * every tensor of the state after step 1 and after step 3 within a tolerance
 * of its own, derived from how far float32 rounding can move it (below).
 * The flat 1e-4 holds for the templates' widths; narrower BatchNorms are
 * conditioned worse: at the tiny widths of test/nodes/custom-kind.test.ts
 * (encoder 4, 8) PyTorch's own kernels (ATen default vs AVX2) disagree on
 * enc.blocks.1.bn.bias by 1.1e-4 of its norm, so the gradients' spread
 * under the nudged reruns below sets their tolerance there too.
 * Used by `npm run parity` (which prints the tables) and by the tests, which
 * also run the PyTorch side under other CPU kernels (`settings`).
 *
 * Measured facts shape it. A gradient that is zero in exact arithmetic (a
 * bias right before a BatchNorm, e.g. BYOL's projector output bias feeding the
 * predictor's BN) has a norm of float32 noise (~1e-8), so gradients are
 * compared relative to max(norm, 1e-3). And float32 sums in a different order
 * (tfjs sums a BatchNorm's 16·14·14 values sequentially, PyTorch pairwise)
 * drift apart as batches grow: at batch 16 losses still agree to 1e-7 but one
 * BN bias gradient differs by 5e-3 of its norm; at batch 4 the first step's
 * gradients are within 4e-5 of their norms. The harness uses batch 4.
 *
 * Why the state after training steps gets a tolerance per tensor. Training
 * at batch 4 amplifies rounding differences 30–100× per step: proj.layers.0's
 * BatchNorm sees features with batch variances down to 3e-5 and means² up to
 * ~700× their variance, so x − mean keeps ~1/26 of the relative precision of
 * x (cancellation: relative error ≈ u·|x|/|x − mean|, u = 2⁻²⁴), and
 * 1/σ ≈ 150 scales everything its backward sends upstream. PyTorch disagrees
 * with itself that much: between its own CPU kernels (ATen's default / AVX2 /
 * AVX-512, oneDNN's AVX2 / AVX-512) BatchNorm inputs differ by 1e-6–5e-6
 * relative in step 1, ~3e-5 in step 2, ~3e-3 in step 3, and the predictor
 * BN's running_var after 3 steps (0.1·N/(N−1) of batch variances ~1% off) by
 * 4e-4 — so a fixed 1e-4 passed on one CPU and failed on another. A ReLU
 * whose input lies within rounding of 0 adds jumps: whether its gate opens
 * decides a gradient term, which moves BYOL's enc.blocks.2.conv.weight by
 * 7e-5 after 3 steps. Meanwhile the state after step 1 is known to ~1e-7,
 * and a change of BatchNorm's semantics (momentum 0.1 → 0.11, biased running
 * variance) moves it by 1e-2–6e-2.
 *
 * So each tensor's tolerance scales with an estimate of how far float32
 * rounding can move it, computed from the actual run (small-sample
 * statistical condition estimation, Kenney & Laub 1994): parity.py reruns
 * the 3 steps 3 times from the initial state with every value moved 16 ulps
 * (~1e-6 relative) up or down at random, and reports each element's largest
 * deviation from the plain run — its spread. 16 ulps is as far as the
 * kernels' own first-step intermediates differ, so the reruns also reach the
 * ReLU gates that rounding can flip (1-ulp nudges missed the one above in 10
 * of 16 seeds). Tolerance = SAFETY × the tensor's largest spread + FLOOR_ULPS
 * ulps of its largest magnitude (the rounding of the last updates
 * themselves, which nudging the start does not show). Measured over both
 * templates, 5 disjoint triples of seeds, tfjs against four PyTorch kernel
 * sets and those sets against each other: every difference within 1.5× its
 * spread, so SAFETY = 4 leaves 2.7× on top (honest rows reach 0.3 of their
 * tolerance). The semantic changes above fail both state rows by 120× or
 * more, and even the least well-conditioned tensor, the predictor BN's
 * running_var after step 3, by 10× (test/pytorch/export.test.ts checks).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type { GraphDoc } from '../src/graph';
import { catalog as builtIn, validate, type NodeCatalog } from '../src/nodes';
import { dimOf } from '../src/nodes/build';
import { Rng } from '../src/nodes/nn/rng';
import type { Dataset } from '../src/runtime/data/dataset';
import { gatherImages } from '../src/runtime/data/sampler';
import { toTorchLayout } from '../src/runtime/export';
import { compile, disposeBackward } from '../src/runtime/program';
import { maxAbsDiff } from '../test/helpers/runtime';
import { exportPytorch, pythonNames } from '../src/runtime/pytorch/export';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../src/runtime/safetensors';

export const PYTHON = '/usr/bin/python3';
/** The step-1 loss (absolute) and gradients (relative to max(norm, GRADIENT_NORM_FLOOR)). */
export const TOLERANCE = 1e-4;
const STEPS = 3;
const SNAPSHOTS = [1, STEPS];
const GRADIENT_NORM_FLOOR = 1e-3;
const SAFETY = 4;
const FLOOR_ULPS = 16;

/** The tolerance of a value after training steps: see the header. */
const roundingTolerance = (spread: number, scale: number) => SAFETY * spread + FLOOR_ULPS * 2 ** -23 * scale;

export interface ParityRow {
  what: string;
  /** The deviation found where it is largest against its tolerance (relative to the norm for gradients). */
  worst: number;
  tolerance: number;
  where: string;
  ok: boolean;
}

/** Where the PyTorch side runs: extra environment for its process (e.g. ATEN_CPU_CAPABILITY=default). */
export interface TorchSetting {
  label: string;
  env: Record<string, string>;
}
export const THIS_CPU: TorchSetting = { label: "this CPU's kernels", env: {} };
/** ATen's kernels without vector instructions. */
export const ATEN_DEFAULT: TorchSetting = { label: 'ATEN_CPU_CAPABILITY=default', env: { ATEN_CPU_CAPABILITY: 'default' } };
/** oneDNN's (convolutions) capped at AVX2, as on an AMD EPYC without AVX-512: where 1e-4 flat failed. */
export const ONEDNN_AVX2: TorchSetting = { label: 'DNNL_MAX_CPU_ISA=AVX2', env: { DNNL_MAX_CPU_ISA: 'AVX2' } };

/** PyTorch's CPU kernels forced to each instruction set this CPU can run: the kernels another x86-64 CPU would pick. */
export function cpuSettings(cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')): TorchSetting[] {
  const has = (flag: string) => new RegExp(`^flags\\s*:.*\\b${flag}\\b`, 'm').test(cpuinfo);
  const aten = (capability: string): TorchSetting => ({ label: `ATEN_CPU_CAPABILITY=${capability}`, env: { ATEN_CPU_CAPABILITY: capability } });
  return [THIS_CPU, ATEN_DEFAULT, ...(has('avx2') ? [aten('avx2'), ONEDNN_AVX2] : []), ...(has('avx512f') ? [aten('avx512')] : [])];
}

type Arrays = Record<string, NamedArray>;
interface TfjsSide {
  loss: number;
  grads: Arrays;
  losses: number[];
  /** The state after each of SNAPSHOTS' steps. */
  after: Map<number, Arrays>;
}

export interface ParityOptions {
  batch?: number;
  /** Where train.py, the safetensors and meta.json go (a new temporary folder by default). */
  dir?: string;
  /** The node kinds the document is validated, trained and exported with (the built-in ones by default). */
  catalog?: NodeCatalog;
}

/** Runs the tfjs side once and the PyTorch side under each setting: a table of rows per setting's label. */
export async function parity(tf: typeof tfc, doc: GraphDoc, dataset: Dataset, settings = [THIS_CPU], options: ParityOptions = {}): Promise<Map<string, ParityRow[]>> {
  const { batch = 4, dir = mkdtempSync(join(tmpdir(), 'parity-')), catalog = builtIn } = options;
  mkdirSync(dir, { recursive: true });
  const ours = await tfjsSide(tf, doc, dataset, batch, dir, catalog);
  const tables = new Map<string, ParityRow[]>();
  for (const setting of settings) {
    execFileSync(PYTHON, [join(import.meta.dirname, 'parity.py'), join(dir, 'train.py'), dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...setting.env }, timeout: 300_000 });
    tables.set(setting.label, compare(ours, decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'pytorch.safetensors')))).tensors));
  }
  return tables;
}

/** Writes what parity.py needs to dir and returns the runtime's loss, gradients and trajectory. */
async function tfjsSide(tf: typeof tfc, doc: GraphDoc, dataset: Dataset, batch: number, dir: string, catalog: NodeCatalog): Promise<TfjsSide> {
  const program = compile(doc, { dataset, batchSize: batch, steps: STEPS, catalog });
  program.init(doc.training.seed);
  // a kind's training state has the same layout in both runtimes; weights are transposed to PyTorch's
  const asIs = new Set(program.trainingState().keys());
  const tensors = async (entries: Iterable<[string, tfc.Tensor]>) => {
    const out: Arrays = {};
    for (const [key, t] of entries) {
      const data = (await t.data()) as Float32Array;
      out[key] = asIs.has(key) ? { data, shape: t.shape } : toTorchLayout(data, t.shape);
    }
    return out;
  };
  try {
    // the augment node, found by its role: its views are replaced by fixed ones
    const v = validate(doc, catalog);
    const augment = doc.nodes.find((n) => v.traits.get(n.id)?.augment)!;
    const port = v.traits.get(augment.id)!.augment!.output;
    const views = dimOf(v.shapes.get(augment.id)!.outputs[port], 0);
    const { train } = dataset;
    const per = train.height * train.width * train.channels;
    const images = gatherImages(train.images, per, Uint32Array.from({ length: views * batch }, (_, i) => i));
    const viewShape = [views, batch, train.height, train.width, train.channels];
    const fixed = tf.tensor(images, viewShape);
    const overrides = new Map([[augment.id, { [port]: fixed }]]);
    writeFileSync(join(dir, 'views.safetensors'), encodeSafetensors({ views: { data: images, shape: viewShape } }));
    writeFileSync(join(dir, 'init.safetensors'), encodeSafetensors(await tensors(program.variables())));
    writeFileSync(join(dir, 'train.py'), exportPytorch(doc, catalog));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ names: Object.fromEntries(pythonNames(doc.nodes.map((n) => n.id))), steps: STEPS, snapshots: SNAPSHOTS }));

    const batchTensor = tf.zeros([1]);
    const pass = program.backward(batchTensor, new Rng(0), overrides);
    const loss = (await pass.loss.data())[0];
    const grads = await tensors(Object.entries(pass.grads));
    disposeBackward(pass);
    batchTensor.dispose();
    const losses: number[] = [];
    const after = new Map<number, Arrays>();
    for (let k = 1; k <= STEPS; k++) {
      losses.push((await program.step(overrides)).loss);
      if (SNAPSHOTS.includes(k)) after.set(k, await tensors(program.variables()));
    }
    fixed.dispose();
    return { loss, grads, losses, after };
  } finally {
    program.dispose();
  }
}

function compare(ours: TfjsSide, theirs: Arrays): ParityRow[] {
  const verbose = process.env.PARITY_VERBOSE ? (line: string) => console.log(line) : () => {};
  const largest = (a: Float32Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const rows: ParityRow[] = [];
  const row = (what: string, worst: number, tolerance: number, where: string) => rows.push({ what, worst, tolerance, where, ok: worst <= tolerance });
  // within TOLERANCE, or its own rounding tolerance where larger: Barlow Twins' loss is ~200, where 1e-4 is 7 float32 ulps
  row('loss', Math.abs(ours.loss - theirs.loss.data[0]), Math.max(TOLERANCE, roundingTolerance(theirs['spread/losses'].data[0], Math.abs(ours.loss))), 'step 1');

  // Each gradient within TOLERANCE of its norm, or of its own rounding tolerance where that is larger (see the header).
  let g = { ratio: -1, worst: 0, tolerance: TOLERANCE, where: '' };
  for (const [key, mine] of Object.entries(ours.grads)) {
    const t = theirs[`grad/${key}`];
    if (!t) throw new Error(`PyTorch has no gradient for ${key}`);
    const norm = Math.max(Math.sqrt(t.data.reduce((a, x) => a + x * x, 0)), GRADIENT_NORM_FLOOR);
    const diff = maxAbsDiff(mine.data, t.data);
    const tolerance = Math.max(TOLERANCE, roundingTolerance(largest(theirs[`spread/grad/${key}`].data), largest(t.data)) / norm);
    verbose(`grad ${key} norm ${norm.toExponential(2)} maxdiff ${diff.toExponential(2)} tolerance ${(tolerance * norm).toExponential(2)}`);
    if (diff / norm / tolerance >= g.ratio) g = { ratio: diff / norm / tolerance, worst: diff / norm, tolerance, where: key };
  }
  const missing = Object.keys(theirs).filter((k) => k.startsWith('grad/') && !ours.grads[k.slice(5)]);
  if (missing.length) throw new Error(`tfjs has no gradient for ${missing.join(', ')}`);
  row(`gradients (${Object.keys(ours.grads).length}, relative to max(norm, ${GRADIENT_NORM_FLOOR}))`, g.worst, g.tolerance, g.where);

  // Each quantity after training steps against its own tolerance; the row reports the one nearest to failing.
  let worst = { ratio: -1, diff: 0, tolerance: 0, where: '' };
  const judge = (diff: number, tolerance: number, where: string) => {
    if (diff / tolerance >= worst.ratio) worst = { ratio: diff / tolerance, diff, tolerance, where };
  };
  const flush = (what: string) => {
    row(what, worst.diff, worst.tolerance, worst.where);
    worst = { ratio: -1, diff: 0, tolerance: 0, where: '' };
  };
  ours.losses.forEach((l, i) => judge(Math.abs(l - theirs.losses.data[i]), roundingTolerance(theirs['spread/losses'].data[i], Math.abs(l)), `step ${i + 1}: ${l.toFixed(6)}`));
  flush(`losses of ${STEPS} steps`);
  for (const [k, state] of ours.after) {
    for (const [key, mine] of Object.entries(state)) {
      const t = theirs[`after${k}/${key}`];
      if (!t) throw new Error(`PyTorch has no ${key} after step ${k}`);
      const diff = maxAbsDiff(mine.data, t.data);
      const tolerance = roundingTolerance(largest(theirs[`spread/after${k}/${key}`].data), largest(t.data));
      verbose(`after ${k} ${key} maxdiff ${diff.toExponential(2)} tolerance ${tolerance.toExponential(2)} (${(diff / tolerance).toFixed(3)})`);
      judge(diff, tolerance, key);
    }
    flush(`state after step ${k} (${Object.keys(state).length} tensors)`);
  }
  return rows;
}

export function formatTable(name: string, rows: ParityRow[]): string {
  const lines = [`${name}`, `  ${'check'.padEnd(48)} ${'worst'.padStart(9)} ${'tolerance'.padStart(9)} ${'ratio'.padStart(6)}  ok   where`];
  for (const r of rows) {
    lines.push(`  ${r.what.padEnd(48)} ${r.worst.toExponential(2).padStart(9)} ${r.tolerance.toExponential(2).padStart(9)} ${(r.worst / r.tolerance).toFixed(3).padStart(6)}  ${r.ok ? 'yes' : 'NO '}  ${r.where}`);
  }
  return lines.join('\n');
}
