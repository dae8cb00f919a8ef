/**
 * MoCo v2 from the command line: `validate` and `train` on the template as
 * shipped (issue 17's acceptance lines), and a resume from a CLI checkpoint
 * that restores the queue (its training state).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph } from '../../src/graph';
import { validate } from '../../src/nodes';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import { compile } from '../../src/runtime/program';
import { bin, checkpointIn, cli, jsonLines, root, writeFashionMnistLike } from '../helpers/cli';
import { template } from '../helpers/docs';
import { syntheticDataset, tfOn } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'moco-cli-'));
beforeAll(async () => {
  await tfOn('cpu');
});

describe('siamese-studio on templates/moco-v2.json', () => {
  it('`npx siamese-studio validate templates/moco-v2.json` exits 0 with no warning; --json lists no error and no warning', async () => {
    const { stdout, stderr } = await promisify(execFile)('npx', ['siamese-studio', 'validate', 'templates/moco-v2.json'], { cwd: root });
    expect(stdout).toMatch(/^templates\/moco-v2\.json: valid \(11 nodes, 14 edges[;)]/);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout + stderr).not.toMatch(/warning/);
    const json = await cli('validate', 'templates/moco-v2.json', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: [], warnings: [] });
  }, 120_000);

  it('train --steps 20 --batch 32 --backend wasm --jsonl prints 20 step lines and a done line', async () => {
    const r = await cli('train', 'templates/moco-v2.json', '--data', 'fashion-mnist', '--steps', '20', '--batch', '32', '--backend', 'wasm', '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines(r.stdout);
    expect(records).toHaveLength(21);
    records.slice(0, 20).forEach((rec, i) => {
      expect(rec.step).toBe(i + 1);
      for (const key of ['loss', 'collapseStd', 'lr', 'imagesPerSec', 'tau']) expect(Number.isFinite(rec[key]), key).toBe(true);
      // K + 1 = 4097 classes: the loss lies between 0 and a little over log 4097 (chance) + 2/τ
      expect(rec.loss).toBeGreaterThan(0);
      expect(rec.loss).toBeLessThan(Math.log(4097) + 10);
    });
    expect(records[0].tau).toBe(0.99);
    expect(records[20]).toMatchObject({ done: true, steps: 20, backend: 'wasm', loss: records[19].loss });
  }, 300_000);
});

describe('resume of a MoCo run', () => {
  it('Ctrl-C writes a checkpoint holding the queue; --resume continues with identical losses', async () => {
    // tiny widths, K = 16 = 2 batches: at the checkpoint the queue holds only real keys, none of its initial fill
    const doc = template('moco-v2');
    const v = validate(doc);
    for (const n of doc.nodes) {
      const t = v.traits.get(n.id)!;
      if (t.augment) n.params.size = 12;
      if (t.encoder) n.params = { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true };
      else if (t.module) Object.assign(n.params, { hiddenDim: 16, outputDim: 8 });
      if (t.memory) n.params.size = 16;
    }
    doc.training.batchSize = 8;
    doc.training.evaluation.rankEverySteps = 1000;
    const parsed = parseGraph(doc);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const graph = join(dir, 'tiny-moco.json');
    writeFileSync(graph, serializeGraph(parsed.doc));
    const data = writeFashionMnistLike(join(dir, 'data'), 64);
    const args = ['train', graph, '--data', `fashion-mnist=${data}`, '--steps', '60', '--backend', 'wasm', '--jsonl'];
    const whole = jsonLines((await cli(...args)).stdout).filter((x) => !x.done);
    expect(whole).toHaveLength(60);

    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [bin, ...args, '--out', out], { cwd: root });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!signalled && stdout.includes('"step":3,')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    const stoppedAt = jsonLines(stdout).pop().steps as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(60);

    // state.json names the queue; its tensor is not the initial fill any more (a resume that lost it would compute otherwise)
    const { state, tensorsFile } = checkpointIn(out);
    expect((state as unknown as { state: unknown }).state).toEqual({ 'queue.keys': [16, 8] });
    const saved = decodeSafetensors(new Uint8Array(readFileSync(tensorsFile))).tensors['var/queue.keys'];
    const fresh = compile(parsed.doc, { dataset: syntheticDataset(), batchSize: 8 });
    fresh.init(parsed.doc.training.seed);
    const initial = fresh.trainingState().get('queue.keys')!.dataSync();
    fresh.dispose();
    expect(saved.shape).toEqual([16, 8]);
    expect(Array.from(saved.data).filter((x, i) => x === initial[i]).length).toBe(0);

    const resumed = await cli(...args, '--resume', out);
    expect(resumed.code, resumed.stderr).toBe(0);
    const rest = jsonLines(resumed.stdout).filter((x) => !x.done);
    expect(rest.map((x) => x.step)).toEqual(whole.slice(stoppedAt).map((x) => x.step));
    expect(rest.map((x) => x.loss)).toEqual(whole.slice(stoppedAt).map((x) => x.loss));
  }, 300_000);
});
