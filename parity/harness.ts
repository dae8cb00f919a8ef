/**
 * Parity of the tfjs runtime and the exported PyTorch script: the same
 * initial weights, the same batch (fixed views: augmentation off), for each
 * template — the loss within 1e-4, every parameter's gradient within 1e-4 of
 * its norm, and after 3 optimizer steps (+ EMA updates) every weight within
 * 1e-4. Used by `npm run parity` (which prints the tables) and by the tests.
 *
 * Two measured facts shape it. A gradient that is zero in exact arithmetic (a
 * bias right before a BatchNorm, e.g. BYOL's projector output bias feeding the
 * predictor's BN) has a norm of float32 noise (~1e-8), so gradients are
 * compared relative to max(norm, 1e-3). And float32 sums in a different order
 * (tfjs sums a BatchNorm's 16·14·14 values sequentially, PyTorch pairwise)
 * drift apart as batches grow: at batch 16 losses still agree to 1e-7 but one
 * BN bias gradient differs by 5e-3 of its norm; at batch 4 everything is
 * within 1e-5. The harness uses batch 4.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type { GraphDoc } from '../src/graph';
import { Rng } from '../src/nodes/nn/rng';
import type { Dataset } from '../src/runtime/data/dataset';
import { gatherImages } from '../src/runtime/data/sampler';
import { toTorchLayout } from '../src/runtime/export';
import { compile } from '../src/runtime/program';
import { maxAbsDiff } from '../test/helpers/runtime';
import { exportPytorch, pythonNames } from '../src/runtime/pytorch/export';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../src/runtime/safetensors';

export const PYTHON = '/usr/bin/python3';
export const TOLERANCE = 1e-4;
const STEPS = 3;
const GRADIENT_NORM_FLOOR = 1e-3;

export interface ParityRow {
  what: string;
  /** The largest deviation found (relative to the gradient's norm for gradients). */
  worst: number;
  where: string;
  ok: boolean;
}

export async function parity(tf: typeof tfc, doc: GraphDoc, dataset: Dataset, batch = 4, dir = mkdtempSync(join(tmpdir(), 'parity-'))): Promise<ParityRow[]> {
  mkdirSync(dir, { recursive: true });
  const program = compile(doc, { dataset, batchSize: batch, steps: STEPS });
  program.init(doc.training.seed);
  const tensors = async (entries: Iterable<[string, tfc.Tensor]>, prefix = '') => {
    const out: Record<string, NamedArray> = {};
    for (const [key, t] of entries) out[prefix + key] = toTorchLayout((await t.data()) as Float32Array, t.shape);
    return out;
  };
  try {
    const augment = doc.nodes.find((n) => n.type === 'augment')!;
    const views = (augment.params.views as unknown[]).length;
    const { train } = dataset;
    const per = train.height * train.width * train.channels;
    const images = gatherImages(train.images, per, Uint32Array.from({ length: views * batch }, (_, i) => i));
    const viewShape = [views, batch, train.height, train.width, train.channels];
    const fixed = tf.tensor(images, viewShape);
    const overrides = new Map([[augment.id, { views: fixed }]]);
    writeFileSync(join(dir, 'views.safetensors'), encodeSafetensors({ views: { data: images, shape: viewShape } }));
    writeFileSync(join(dir, 'init.safetensors'), encodeSafetensors(await tensors(program.variables())));
    writeFileSync(join(dir, 'train.py'), exportPytorch(doc));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ names: Object.fromEntries(pythonNames(doc.nodes.map((n) => n.id))), steps: STEPS }));

    const batchTensor = tf.zeros([1]);
    const pass = program.backward(batchTensor, new Rng(0), overrides);
    const ours = { loss: (await pass.loss.data())[0], grads: await tensors(Object.entries(pass.grads)) };
    tf.dispose([batchTensor, pass.loss, pass.z, pass.features, ...Object.values(pass.grads), ...pass.pending.map(([, v]) => v)]);
    const losses: number[] = [];
    for (let k = 0; k < STEPS; k++) losses.push((await program.step(overrides)).loss);
    const after = await tensors(program.variables());
    fixed.dispose();

    execFileSync(PYTHON, [join(import.meta.dirname, 'parity.py'), join(dir, 'train.py'), dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    const theirs = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'pytorch.safetensors')))).tensors;

    const rows: ParityRow[] = [];
    const row = (what: string, worst: number, where: string) => rows.push({ what, worst, where, ok: worst <= TOLERANCE });
    row('loss', Math.abs(ours.loss - theirs.loss.data[0]), 'step 1');
    let g = { worst: 0, where: '' };
    for (const [key, mine] of Object.entries(ours.grads)) {
      const t = theirs[`grad/${key}`];
      if (!t) throw new Error(`PyTorch has no gradient for ${key}`);
      const norm = Math.max(Math.sqrt(t.data.reduce((a, x) => a + x * x, 0)), GRADIENT_NORM_FLOOR);
      const diff = maxAbsDiff(mine.data, t.data);
      const d = diff / norm;
      if (process.env.PARITY_VERBOSE) console.log(`grad ${key} norm ${norm.toExponential(2)} maxdiff ${diff.toExponential(2)}`);
      if (d >= g.worst) g = { worst: d, where: key };
    }
    const missing = Object.keys(theirs).filter((k) => k.startsWith('grad/') && !ours.grads[k.slice(5)]);
    if (missing.length) throw new Error(`tfjs has no gradient for ${missing.join(', ')}`);
    row(`gradients (${Object.keys(ours.grads).length}, relative to max(norm, ${GRADIENT_NORM_FLOOR}))`, g.worst, g.where);
    if (process.env.PARITY_VERBOSE) console.log(`losses tfjs ${losses.join(' ')} pytorch ${Array.from(theirs.losses.data).join(' ')}`);
    row(`losses of ${STEPS} steps`, Math.max(...losses.map((l, i) => Math.abs(l - theirs.losses.data[i]))), losses.map((l) => l.toFixed(6)).join(' '));
    let w = { worst: 0, where: '' };
    for (const [key, mine] of Object.entries(after)) {
      const t = theirs[`after/${key}`];
      if (!t) throw new Error(`PyTorch has no ${key} after training`);
      const d = maxAbsDiff(mine.data, t.data);
      if (process.env.PARITY_VERBOSE) console.log(`after ${key} maxdiff ${d.toExponential(2)} scale ${t.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0).toExponential(2)}`);
      if (d >= w.worst) w = { worst: d, where: key };
    }
    row(`weights after ${STEPS} steps (${Object.keys(after).length} tensors)`, w.worst, w.where);
    return rows;
  } finally {
    program.dispose();
  }
}

export function formatTable(name: string, rows: ParityRow[]): string {
  const lines = [`${name}`, `  ${'check'.padEnd(48)} ${'worst'.padStart(10)}  tolerance  ok   where`];
  for (const r of rows) lines.push(`  ${r.what.padEnd(48)} ${r.worst.toExponential(2).padStart(10)}  ${TOLERANCE.toExponential(0).padStart(9)}  ${r.ok ? 'yes' : 'NO '}  ${r.where}`);
  return lines.join('\n');
}
