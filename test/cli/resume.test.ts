/**
 * What --resume reads back is checked, part by part, and a bad part is one
 * line naming the file and field (exit 2); another graph is refused unless
 * --resume-with-changes; a step that leaves a tensor non-finite stops the run.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeGraph, type GraphDoc } from '../../src/graph';
import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors';
import { checkpointIn, cli, jsonLines, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-resume-'));
const data = writeFashionMnistLike(join(dir, 'data'), 40);
const graphFile = (name: string, edit: (d: GraphDoc) => void = () => {}) => {
  const doc = tiny('simsiam');
  edit(doc);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, serializeGraph(doc));
  return p;
};
const graph = graphFile('tiny');
const common = (g = graph) => [g, '--data', `fashion-mnist=${data}`, '--batch', '4', '--backend', 'cpu', '--jsonl'];
const train = (...args: string[]) => cli('train', ...args);
const base = join(dir, 'base');

/** A copy of the base run whose checkpoint `edit` damages. */
function damaged(name: string, edit: (cp: { state: Record<string, unknown>; stateFile: string; tensorsFile: string }) => void): string {
  const copy = join(dir, name);
  cpSync(base, copy, { recursive: true });
  const { state, tensorsFile } = checkpointIn(copy);
  const stateFile = join(copy, 'checkpoint', 'state.json');
  edit({ state: state as unknown as Record<string, unknown>, stateFile, tensorsFile });
  return copy;
}
const withState = (edit: (s: Record<string, unknown>) => void) => ({ state, stateFile }: { state: Record<string, unknown>; stateFile: string }) => {
  edit(state);
  writeFileSync(stateFile, JSON.stringify(state));
};

beforeAll(async () => {
  const r = await train(...common(), '--steps', '4', '--out', base);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('--resume of a damaged checkpoint: exit 2, one line naming the file and field', () => {
  const cases: Array<[string, Parameters<typeof damaged>[1], (d: string) => string]> = [
    ['no sampler', withState((s) => { delete s.sampler; }), (d) => `${d}/checkpoint/state.json: sampler: Invalid input: expected object, received undefined`],
    ['a shortened sample order', withState((s) => { (s.sampler as { order: number[] }).order.pop(); }),
      (d) => `${d}/checkpoint/state.json: sampler.order: has 39 entries, but the dataset has 40 images: was the checkpoint made with other data?`],
    ['a sample order with a repeat', withState((s) => { const o = (s.sampler as { order: number[] }).order; o[0] = o[1]; }),
      (d) => expect.stringMatching(new RegExp(`^${d}/checkpoint/state.json: sampler.order: is not an order of the dataset's 40 images \\(\\d+ is out of range or repeated\\)$`)) as unknown as string],
    ['a non-numeric step', withState((s) => { s.completed = 'x'; }), (d) => `${d}/checkpoint/state.json: completed: Invalid input: expected number, received string`],
    ['a negative step', withState((s) => { s.completed = -3; }), (d) => `${d}/checkpoint/state.json: completed: Too small: expected number to be >=0`],
    ['a step past --steps', withState((s) => { s.completed = 9; s.optimizerStep = 9; }), (d) => `${d}/checkpoint/state.json: completed: the checkpoint is at step 9, past this run's 6 steps`],
    ['a state.json cut short', ({ stateFile }) => writeFileSync(stateFile, readFileSync(stateFile, 'utf8').slice(0, 100)),
      (d) => expect.stringMatching(new RegExp(`^${d}/checkpoint/state.json: not valid JSON \\(.+\\)$`)) as unknown as string],
    ['a flipped byte in the tensor data', ({ tensorsFile }) => {
      const bytes = readFileSync(tensorsFile);
      bytes[bytes.length - 5] ^= 0x40;
      writeFileSync(tensorsFile, bytes);
    }, (d) => expect.stringMatching(new RegExp(`^${d}/checkpoint/state-[0-9a-f]{16}\\.safetensors: its SHA-256 differs from tensorsSha256 in ${d}/checkpoint/state.json: the file is damaged$`)) as unknown as string],
    ['a missing tensors file', ({ tensorsFile }) => renameSync(tensorsFile, `${tensorsFile}.gone`),
      (d) => expect.stringMatching(new RegExp(`^${d}/checkpoint/state.json: names the tensors ${d}/checkpoint/state-[0-9a-f]{16}\\.safetensors, which is missing$`)) as unknown as string],
    ['a tensor of another shape (checksum updated)', ({ state, stateFile, tensorsFile }) => {
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(tensorsFile)));
      tensors['var/proj.layers.0.linear.weight'] = { data: new Float32Array(6), shape: [2, 3] };
      const bytes = encodeSafetensors(tensors);
      state.tensorsSha256 = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(stateFile, '..', `state-${(state.tensorsSha256 as string).slice(0, 16)}.safetensors`), bytes);
      writeFileSync(stateFile, JSON.stringify(state));
    }, (d) => expect.stringMatching(new RegExp(`^${d}/checkpoint/state-[0-9a-f]{16}\\.safetensors: var/proj.layers.0.linear.weight is 2×3, but \\d+×\\d+ in the graph$`)) as unknown as string],
  ];
  it.each(cases)('%s', async (name, edit, message) => {
    const d = damaged(name.replace(/\W+/g, '-'), edit);
    const r = await train(...common(), '--steps', '6', '--resume', d);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual(expect.stringMatching(/^siamese-studio: --resume /));
    expect(lines[0].slice(`siamese-studio: --resume ${d}: `.length)).toEqual(message(d));
  }, 30_000);
});

it('a dataset smaller than the batch is a user error naming both numbers', async () => {
  const small = writeFashionMnistLike(join(dir, 'small'), 5);
  const r = await cli('train', graph, '--data', `fashion-mnist=${small}`, '--steps', '2', '--batch', '16', '--backend', 'cpu');
  expect(r).toMatchObject({ code: 2, stderr: `siamese-studio: --batch 16 is larger than the data: --data fashion-mnist=${small} has 5 training images\n` });
  const fromDoc = await cli('train', graphFile('batch8', (d) => { d.training.batchSize = 8; }), '--data', `fashion-mnist=${small}`, '--steps', '2', '--backend', 'cpu');
  expect(fromDoc).toMatchObject({ code: 2, stderr: `siamese-studio: the document's training.batchSize (8) is larger than the data: --data fashion-mnist=${small} has 5 training images\n` });
}, 30_000);

describe('--resume with another graph', () => {
  it('is refused, naming what differs; a label or position change is not a change', async () => {
    const wider = graphFile('wider', (d) => { Object.assign(d.nodes.find((n) => n.id === 'proj')!.params, { hiddenDim: 32 }); d.training.optimizer.lr = 0.1; });
    const r = await train(...common(wider), '--steps', '6', '--resume', base);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`siamese-studio: --resume ${base}: ${wider} differs from the graph the checkpoint was trained on (node "proj" params.hiddenDim: 16 → 32; training.optimizer.lr: 0.06 → 0.1); pass --resume-with-changes to train it from these weights anyway\n`);
    const relabelled = graphFile('relabelled', (d) => { d.name = 'renamed'; d.nodes[0].label = 'another label'; d.nodes[0].position = { x: 1, y: 2 }; });
    const copy = join(dir, 'relabel-run');
    cpSync(base, copy, { recursive: true });
    expect((await train(...common(relabelled), '--steps', '5', '--resume', copy)).code).toBe(0);
  }, 60_000);

  it('--resume-with-changes trains it and records the changes in metrics.jsonl', async () => {
    const faster = graphFile('faster', (d) => { d.training.optimizer.lr = 0.1; });
    const copy = join(dir, 'changed-run');
    cpSync(base, copy, { recursive: true });
    const r = await train(...common(faster), '--steps', '6', '--resume', copy, '--resume-with-changes');
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines(readFileSync(join(copy, 'metrics.jsonl'), 'utf8'));
    expect(records.find((x) => 'graphChanges' in x)).toEqual({ resumedAt: 4, graphChanges: ['training.optimizer.lr: 0.06 → 0.1'] });
    expect(records.filter((x) => 'loss' in x && !x.done).map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 60_000);
});

it('a step that leaves a weight non-finite with a finite loss (LARS at lr 100) stops the run: exit 1, the tensor named, the last good checkpoint kept', async () => {
  const lars = graphFile('lars', (d) => {
    d.training.optimizer = { type: 'lars', lr: 100, momentum: 0.9, weightDecay: 1e-6, trustCoefficient: 1, excludeBiasAndNorm: false };
    d.training.schedule.decay = 'constant';
  });
  const out = join(dir, 'lars-run');
  const r = await train(...common(lars), '--steps', '8', '--checkpoint-every', '1', '--out', out);
  expect(r.code, r.stderr).toBe(1);
  const m = /^siamese-studio: step (\d+) left (variable|optimizer state) \S+.* non-finite \(its loss, -?[\d.e-]+, was finite\): training stopped; the last checkpoint \(step (\d+)\) is kept in (.+)\n$/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  const [failed, kept] = [Number(m![1]), Number(m![3])];
  expect(failed).toBeLessThan(8);
  expect(kept).toBe(failed - 1);
  expect(m![4]).toBe(join(out, 'checkpoint'));
  const records = jsonLines(r.stdout);
  expect(records.filter((x) => !x.done).map((x) => x.step)).toEqual(Array.from({ length: kept }, (_, i) => i + 1));
  expect(records.at(-1)).toMatchObject({ done: true, steps: kept, error: expect.stringMatching(/^step \d+ left /) });
  expect(checkpointIn(out).state.completed).toBe(kept);
  const encoder = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
  expect(encoder.metadata.step).toBe(String(kept));
  for (const t of Object.values(decodeSafetensors(new Uint8Array(readFileSync(checkpointIn(out).tensorsFile))).tensors)) expect(t.data.every(Number.isFinite)).toBe(true);
  expect(existsSync(out)).toBe(true);
}, 60_000);
