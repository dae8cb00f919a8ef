import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import { checkpointIn } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/siamese-studio.mjs');
const dir = mkdtempSync(join(tmpdir(), 'siamese-train-'));

async function train(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'train', ...args], { cwd: root, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));
const tinyFile = (name: string, edit: (d: ReturnType<typeof tiny>) => void = () => {}) => {
  const doc = tiny('simsiam');
  edit(doc);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, serializeGraph(doc));
  return p;
};

describe('siamese-studio train on Fashion-MNIST', () => {
  it.each(['simsiam', 'byol'])('%s: 20 steps at batch 32 on wasm print 20 step lines and a done line', async (name) => {
    const r = await train(`templates/${name}.json`, '--data', 'fashion-mnist', '--steps', '20', '--batch', '32', '--backend', 'wasm', '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const records = lines(r.stdout);
    expect(records).toHaveLength(21);
    records.slice(0, 20).forEach((rec, i) => {
      expect(rec.step).toBe(i + 1);
      for (const key of ['loss', 'collapseStd', 'lr', 'imagesPerSec']) expect(Number.isFinite(rec[key]), key).toBe(true);
      expect('effRank' in rec).toBe((i + 1) % 10 === 0);
    });
    expect(records[9].effRank).toBeGreaterThan(1);
    expect(records[9].effRank).toBeLessThanOrEqual(128);
    if (name === 'byol') expect(records[0].tau).toBeCloseTo(0.99, 10);
    expect(records[20]).toMatchObject({ done: true, steps: 20, backend: 'wasm', collapsed: false });
  }, 300_000);
});

describe('siamese-studio train outputs', () => {
  it('--out writes the document, metrics, encoder.safetensors and a checkpoint; evaluation lines carry knnTop1', async () => {
    const out = join(dir, 'out1');
    const graph = tinyFile('tiny', (d) => Object.assign(d.training.evaluation, { bankSize: 500, querySize: 200 }));
    const r = await train(graph, '--data', 'fashion-mnist', '--steps', '4', '--batch', '16', '--backend', 'wasm', '--eval-every', '2', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/training "SimSiam" on fashion-mnist \(60000 images\): 4 steps × batch 16, backend wasm/);
    expect(readFileSync(join(out, 'graph.json'), 'utf8')).toBe(readFileSync(graph, 'utf8'));
    const records = lines(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    const evals = records.filter((x) => 'knnTop1' in x);
    expect(evals.map((x) => [x.step, x.bank, x.queries])).toEqual([[2, 500, 200], [4, 500, 200]]);
    for (const e of evals) expect(e.knnTop1).toBeGreaterThan(0.2); // 10 classes: chance is 0.1
    const enc = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
    expect(enc.tensors['blocks.0.conv.weight'].shape).toEqual([4, 1, 3, 3]);
    expect(enc.tensors['blocks.1.bn.running_var'].shape).toEqual([8]);
    expect(enc.metadata).toMatchObject({ format: 'pt', step: '4' });
    expect(checkpointIn(out).state.completed).toBe(4);
    expect(existsSync(checkpointIn(out).tensorsFile)).toBe(true);
    const model = JSON.parse(readFileSync(join(out, 'encoder', 'model.json'), 'utf8'));
    expect(model.format).toBe('layers-model');
    const bytes = model.weightsManifest[0].weights.reduce((a: number, w: { shape: number[] }) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0);
    expect(readFileSync(join(out, 'encoder', 'weights.bin')).length).toBe(bytes);
    // a second run into the same folder starts a new log
    expect((await train(graph, '--data', 'fashion-mnist', '--steps', '2', '--batch', '16', '--backend', 'wasm', '--out', out)).code).toBe(0);
    expect(lines(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).map((x) => x.step ?? 'done')).toEqual([1, 2, 'done']);
  }, 120_000);

  it('Ctrl-C stops after the current step and writes a checkpoint; --resume continues with identical losses', async () => {
    // The probe rank only at the end: three runs of 100 steps stay short.
    const graph = tinyFile('resume', (d) => { d.training.evaluation.rankEverySteps = 1000; });
    const args = [graph, '--data', 'fashion-mnist', '--steps', '100', '--batch', '16', '--backend', 'wasm', '--jsonl'];
    const whole = lines((await train(...args)).stdout).filter((x) => !x.done);
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [bin, 'train', ...args, '--out', out], { cwd: root });
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
    const first = lines(stdout);
    const done = first.pop();
    expect(done).toMatchObject({ done: true, interrupted: true });
    const stoppedAt = done.steps as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(100);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')).completed).toBe(stoppedAt);

    const resumed = await train(...args, '--resume', out);
    expect(resumed.code, resumed.stderr).toBe(0);
    const rest = lines(resumed.stdout).filter((x) => !x.done);
    expect(rest.map((x) => x.step)).toEqual(whole.slice(stoppedAt).map((x) => x.step));
    expect(rest.map((x) => x.loss)).toEqual(whole.slice(stoppedAt).map((x) => x.loss));
    expect(lines(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).filter((x) => !x.done).map((x) => x.step)).toEqual(whole.map((x) => x.step));
  }, 300_000);

  it('a non-finite loss or state stops training with a message and keeps the last good checkpoint', async () => {
    const graph = tinyFile('explode', (d) => { d.training.optimizer = { type: 'sgd', lr: 100, momentum: 0.9, nesterov: false, weightDecay: 1 }; d.training.schedule.decay = 'constant'; });
    const out = join(dir, 'nan');
    const r = await train(graph, '--data', 'fashion-mnist', '--steps', '60', '--batch', '16', '--backend', 'wasm', '--jsonl', '--out', out, '--checkpoint-every', '1');
    expect(r.code).toBe(1);
    // Whichever comes first: a NaN loss, or a step whose update leaves a weight or a BatchNorm statistic non-finite.
    const m = /siamese-studio: (?:loss is (?:NaN|Infinity|-Infinity) at step (\d+): training stopped \(step \d+'s update was not applied\)|step (\d+) left .+ non-finite \(its loss, \S+, was finite\): training stopped); the last checkpoint \(step (\d+)\) is kept in /.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const failed = Number(m![1] ?? m![2]);
    const done = lines(r.stdout).pop();
    expect(done).toMatchObject({ done: true, steps: failed - 1, error: expect.stringMatching(/^loss is|^step \d+ left/) });
    const state = decodeSafetensors(new Uint8Array(readFileSync(checkpointIn(out).tensorsFile)));
    expect(checkpointIn(out).state.completed).toBe(Number(m![3]));
    expect(Number(m![3])).toBeLessThanOrEqual(done.steps);
    for (const t of Object.values(state.tensors)) expect(t.data.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('refuses bad input with one clear line', async () => {
    expect(await train('templates/simsiam.json', '--steps', '2')).toMatchObject({ code: 2, stderr: expect.stringContaining('train: --data is required') });
    expect((await train('templates/simsiam.json', '--data', `fashion-mnist=${dir}`, '--steps', '1')).stderr).toBe(`siamese-studio: fashion-mnist: missing train-images-idx3-ubyte(.gz) in ${dir}\n`);
    expect((await train('templates/simsiam.json', '--data', 'fashion-mnist', '--steps', 'x')).stderr).toBe('siamese-studio: train: --steps must be an integer from 1 to 100000000, got "x"\n');
    const bad = tinyFile('bad', (d) => { d.edges = d.edges.filter((e) => e.to.node !== 'enc'); });
    const invalid = await train(bad, '--data', 'fashion-mnist', '--steps', '1');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('[unconnected-input]');
  }, 60_000);
});
