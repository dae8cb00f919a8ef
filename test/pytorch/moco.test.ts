/**
 * MoCo v2 in the exported PyTorch script: parity with the tfjs runtime, the
 * queue included (it is a registered buffer, in the state compared after
 * steps 1 and 3); under torchrun the keys enqueued are every process's
 * (concat_all_gather): 2 gloo ranks at batch B each compute what one process
 * computes at batch 2B, and the script's checkpoint holds the queue.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, type GraphDoc } from '../../src/graph';
import { validate } from '../../src/nodes';
import type { Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { ATEN_DEFAULT, formatTable, parity, PYTHON, THIS_CPU } from '../../parity/harness';
import { paramsOf, template } from '../helpers/docs';
import { tinyFashionMnist } from '../helpers/python';
import { tfOn } from '../helpers/runtime';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'moco-'));
let tf: typeof tfc;
let dataset: Dataset;

beforeAll(async () => {
  tf = await tfOn('wasm');
  dataset = await loadDatasetSpec('fashion-mnist');
});

describe('moco-v2.json exported', () => {
  it("parity with the tfjs runtime holds (loss, gradients, state after 1 and 3 steps, the queue among it) under this CPU's PyTorch kernels and ATen's default", async () => {
    const folder = join(dir, 'parity');
    const tables = await parity(tf, template('moco-v2'), dataset, [THIS_CPU, ATEN_DEFAULT], { dir: folder });
    for (const [label, rows] of tables) {
      expect(rows.every((r) => r.ok), formatTable(`moco-v2, PyTorch on ${label}`, rows)).toBe(true);
      expect(rows).toHaveLength(5);
    }
    // the queue was part of what both sides started from and what they compared (its last 4 rows are step 1's keys)
    const script = readFileSync(join(folder, 'train.py'), 'utf8');
    expect(script).toContain('self.n_queue = KeyQueue(4096, 128)');
    expect(script).toContain('("n_queue", True),');
  }, 300_000);
});

/**
 * MoCo where nothing but the queue depends on the rest of the batch: no
 * BatchNorm (per process under DDP without --sync-bn, which needs CUDA),
 * views without randomness (each process draws its own), small; K = 32.
 */
function batchIndependent(): GraphDoc {
  const doc = template('moco-v2');
  const v = validate(doc);
  const still = { cropScale: [1, 1], cropRatio: [1, 1], flipP: 0, jitterP: 0, grayscaleP: 0, blurP: 0, solarizeP: 0 };
  paramsOf(doc, 'aug').views = (paramsOf(doc, 'aug').views as object[]).map((x) => ({ ...x, ...still }));
  for (const n of doc.nodes) {
    const t = v.traits.get(n.id)!;
    if (t.encoder) n.params = { arch: 'conv', widths: [4, 8], strides: [2, 2], batchNorm: false };
    else if (t.module) Object.assign(n.params, { hiddenDim: 16, outputDim: 8, hiddenBatchNorm: false, lastBatchNorm: 'none' });
    if (t.memory) n.params.size = 32;
  }
  doc.training.batchSize = 8;
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

const stepLosses = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => typeof r.step === 'number' && 'loss' in r).map((r) => r.loss as number);

describe('MoCo under torchrun', () => {
  it('2 gloo ranks at batch B = 4 each give the losses of 1 process at batch 2B = 8 (steps 1–3, within 1e-5): the queue takes every process\'s keys', async () => {
    const data = tinyFashionMnist(join(dir, 'data'), 32);
    const script = join(dir, 'moco.py');
    writeFileSync(script, exportPytorch(batchIndependent()));
    // DistributedSampler gives rank r the permutation's entries r, r + 2, …: at each step the two ranks' batches are,
    // together, the one process's batch of 8; the queue gets them in another row order, which its sum over negatives does not see
    const args = ['--data', data, '--steps', '3', '--batch', '8'];
    await run(PYTHON, [script, ...args, '--out', join(dir, 'one')], { cwd: dir });
    // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0.
    await run('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', script, ...args, '--out', join(dir, 'ddp')],
      { cwd: dir, maxBuffer: 16 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const [one, ddp] = [stepLosses(join(dir, 'one', 'metrics.jsonl')), stepLosses(join(dir, 'ddp', 'metrics.jsonl'))];
    expect(one).toHaveLength(3);
    expect(ddp).toHaveLength(3);
    ddp.forEach((l, i) => expect(Math.abs(l - one[i]), `step ${i + 1}: 2 ranks ${l}, 1 process ${one[i]}`).toBeLessThan(1e-5));
    // both checkpoints hold the queue: its last 8 rows the last step's keys, unit vectors, the same set of them
    const { stdout } = await run(PYTHON, ['-c', `
import json, torch
rows = []
for run in ['one', 'ddp']:
    q = torch.load(${JSON.stringify(dir)} + '/' + run + '/checkpoint.pt', weights_only=True)['graph']['n_queue.keys']
    rows.append(q)
norms = [float(r.norm(dim=1).sub(1).abs().max()) for r in rows]
last = [sorted(r[-8:].tolist()) for r in rows]
diff = max(abs(a - b) for x, y in zip(*last) for a, b in zip(x, y))
print(json.dumps(dict(shape=list(rows[0].shape), norms=norms, diff=diff)))
`]);
    const q = JSON.parse(stdout);
    expect(q.shape).toEqual([32, 8]);
    for (const n of q.norms) expect(n).toBeLessThan(1e-6);
    expect(q.diff).toBeLessThan(1e-5);
  }, 240_000);
});
