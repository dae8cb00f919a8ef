/**
 * SimCLR in the exported PyTorch script: parity with the tfjs runtime (the
 * parity harness), and under torchrun the negatives of NT-Xent are the
 * global batch's (gather_batch, src/nodes/gather.py): 2 gloo ranks at batch B
 * each compute what one process computes at batch 2B.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, type GraphDoc } from '../../src/graph';
import type { Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { ATEN_DEFAULT, formatTable, ONEDNN_AVX2, parity, PYTHON, THIS_CPU } from '../../parity/harness';
import { paramsOf, template } from '../helpers/docs';
import { tinyFashionMnist } from '../helpers/python';
import { tfOn } from '../helpers/runtime';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'simclr-'));
let tf: typeof tfc;
let dataset: Dataset;

beforeAll(async () => {
  tf = await tfOn('wasm');
  dataset = await loadDatasetSpec('fashion-mnist');
});

describe('simclr.json exported', () => {
  it("parity with the tfjs runtime holds (loss, gradients, state after 1 and 3 steps) under this CPU's PyTorch kernels and other CPUs'", async () => {
    const tables = await parity(tf, template('simclr'), dataset, [THIS_CPU, ATEN_DEFAULT, ONEDNN_AVX2]);
    expect([...tables.keys()]).toEqual([THIS_CPU.label, ATEN_DEFAULT.label, ONEDNN_AVX2.label]);
    for (const [label, rows] of tables) {
      expect(rows.every((r) => r.ok), formatTable(`simclr, PyTorch on ${label}`, rows)).toBe(true);
      expect(rows).toHaveLength(5);
    }
  }, 300_000);
});

/**
 * SimCLR where nothing but NT-Xent's negatives depends on the rest of the
 * batch: no BatchNorm (per process under DDP without --sync-bn, which needs
 * CUDA) and views without randomness (each process draws its own), small.
 */
function batchIndependent(): GraphDoc {
  const doc = template('simclr');
  const still = { cropScale: [1, 1], cropRatio: [1, 1], flipP: 0, jitterP: 0, grayscaleP: 0, blurP: 0, solarizeP: 0 };
  paramsOf(doc, 'aug').views = (paramsOf(doc, 'aug').views as object[]).map((v) => ({ ...v, ...still }));
  doc.nodes.find((n) => n.id === 'enc')!.params = { arch: 'conv', widths: [4, 8], strides: [2, 2], batchNorm: false };
  Object.assign(paramsOf(doc, 'proj'), { hiddenDim: 16, outputDim: 8, hiddenBatchNorm: false, lastBatchNorm: 'none' });
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

const stepLosses = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => typeof r.step === 'number' && 'loss' in r).map((r) => r.loss as number);

describe('NT-Xent under torchrun', () => {
  it('2 gloo ranks at batch B = 4 each give the losses of 1 process at batch 2B = 8 (steps 1 and 2, within 1e-5): the negatives are the global batch', async () => {
    const data = tinyFashionMnist(join(dir, 'data'), 32);
    const script = join(dir, 'simclr.py');
    writeFileSync(script, exportPytorch(batchIndependent()));
    // DistributedSampler gives rank r the permutation's entries r, r + 2, …: at each step the two ranks' batches are,
    // together, the one process's batch of 8 (in another order, which the mean over all anchors does not see)
    const args = ['--data', data, '--steps', '2', '--batch', '8'];
    await run(PYTHON, [script, ...args, '--out', join(dir, 'one')], { cwd: dir });
    // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0.
    await run('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', script, ...args, '--out', join(dir, 'ddp')],
      { cwd: dir, maxBuffer: 16 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const [one, ddp] = [stepLosses(join(dir, 'one', 'metrics.jsonl')), stepLosses(join(dir, 'ddp', 'metrics.jsonl'))];
    expect(one).toHaveLength(2);
    expect(ddp).toHaveLength(2);
    // at init the 16 anchors' logits are near 0: the loss is near log 15, far from a per-rank loss over 8 anchors (log 7)
    expect(Math.abs(one[0] - Math.log(15))).toBeLessThan(0.5);
    ddp.forEach((l, i) => expect(Math.abs(l - one[i]), `step ${i + 1}: 2 ranks ${l}, 1 process ${one[i]}`).toBeLessThan(1e-5));
  }, 240_000);
});
