/**
 * The exported script's own inputs: a bad flag, data smaller than the batch,
 * a missing data file, an --out holding a user's files, a --resume without a
 * checkpoint or with another data order are refused in one line (exit 2),
 * before anything is written; a predictor with a name-mangling id keeps its
 * own lr group.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/graph';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { python, tinyFashionMnist } from '../helpers/python';
import { tiny } from '../helpers/runtime';
import { callMain, type MainCall } from '../helpers/script';

const dir = mkdtempSync(join(tmpdir(), 'script-inputs-'));
const script = join(dir, 'train.py');
const data = join(dir, 'data');
const five = join(dir, 'five');
const noData = join(dir, 'no-data');
const mine = join(dir, 'mine');
const aFile = join(dir, 'a-file');
const resumed = join(dir, 'resumed');
const unwritten = join(dir, 'unwritten');
const common = ['--data', data, '--steps', '3', '--batch', '4'];

beforeAll(() => {
  writeFileSync(script, exportPytorch(tiny('simsiam')));
  tinyFashionMnist(data, 40);
  tinyFashionMnist(five, 5);
  mkdirSync(noData);
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'mine');
  writeFileSync(join(mine, 'metrics.jsonl'), 'my own log\n');
  writeFileSync(aFile, 'x');
});

/** Calls main once per argument list, in one Python process (60 s at most: the old script looped forever on small data). */
const calls = (...argLists: string[][]) => callMain(script, argLists, 60_000);

/** A refusal: exit 2, exactly one stderr line (returned), nothing on stdout, no --out written. */
function refusal(r: MainCall): string {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^train\.py: [^\n]+\n$/);
  expect(r.code, r.stderr).toBe(2);
  expect(existsSync(unwritten)).toBe(false);
  return r.stderr.trimEnd();
}

describe('the exported script refuses bad input in one line (exit 2)', () => {
  it('flags out of their bounds, argparse\'s way', async () => {
    const r = await calls(...[['--batch=-4'], ['--steps', '0'], ['--checkpoint-every', '0'], ['--eval-every', '1.5'], ['--seed', '-1']].map((flags) => [...common, ...flags, '--out', unwritten]));
    expect(r.map(refusal)).toEqual([
      "train.py: error: argument --batch: must be an integer from 2 to 65536, got '-4'",
      "train.py: error: argument --steps: must be an integer from 1 to 100000000, got '0'",
      "train.py: error: argument --checkpoint-every: must be an integer from 1 to 100000000, got '0'",
      "train.py: error: argument --eval-every: must be an integer from 0 to 100000000, got '1.5'",
      "train.py: error: argument --seed: must be an integer from 0 to 2147483647, got '-1'",
    ]);
  }, 90_000);

  it('5 images and --batch 16 (it looped forever), and the document\'s batch the same way', async () => {
    const r = await calls(['--data', five, '--steps', '3', '--batch', '16', '--out', unwritten], ['--data', five, '--steps', '3', '--out', unwritten]);
    expect(r.map(refusal)).toEqual([
      `train.py: --batch 16 is larger than the data: --data ${five} has 5 training images`,
      `train.py: the document's training.batchSize (256) is larger than the data: --data ${five} has 5 training images`,
    ]);
  }, 90_000);

  it('a missing data file, named', async () => {
    const [r] = await calls(['--data', noData, '--steps', '3', '--batch', '4', '--out', unwritten]);
    expect(refusal(r)).toBe(`train.py: --data ${noData}: missing train-images-idx3-ubyte(.gz) (Fashion-MNIST's IDX files)`);
  }, 90_000);

  it('an --out holding a user\'s files is refused and left as it was; --force writes into it, keeping the user\'s other files', async () => {
    const [mineRefused, fileRefused] = await calls([...common, '--out', mine], [...common, '--out', aFile]);
    expect(refusal(mineRefused)).toBe(`train.py: --out ${mine}: the folder is not empty (metrics.jsonl, notes.txt) and is not a run of this script; pass --force to write into it`);
    expect(readdirSync(mine).sort()).toEqual(['metrics.jsonl', 'notes.txt']);
    expect(readFileSync(join(mine, 'metrics.jsonl'), 'utf8')).toBe('my own log\n');
    expect(refusal(fileRefused)).toBe(`train.py: --out ${aFile}: exists and is not a folder`);
    const [forced] = await calls([...common, '--out', mine, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(mine).sort()).toEqual(['checkpoint.pt', 'encoder.safetensors', 'metrics.jsonl', 'notes.txt', 'run.json']);
  }, 90_000);

  it('--resume without a checkpoint, with another --batch or --seed (another data order), or with --init-from; the run is left as it was', async () => {
    const checkpoint = join(resumed, 'checkpoint.pt');
    const [none, first, batch, seed, initFrom] = await calls(
      [...common, '--out', resumed, '--resume'],
      ['--data', data, '--steps', '2', '--batch', '4', '--out', resumed],
      [...common, '--batch', '8', '--out', resumed, '--resume'],
      [...common, '--seed', '5', '--out', resumed, '--resume'],
      [...common, '--out', resumed, '--resume', '--init-from', join(resumed, 'encoder.safetensors')],
    );
    expect(refusal(none)).toBe(`train.py: --resume: no checkpoint yet in ${resumed} (expected ${checkpoint})`);
    expect(first.code, first.stderr).toBe(0);
    expect(refusal(batch)).toBe(`train.py: --resume: ${checkpoint} was trained with --batch 4, this run has --batch 8: the data order depends on it`);
    expect(refusal(seed)).toBe(`train.py: --resume: ${checkpoint} was trained with --seed 0, this run has --seed 5: the data order depends on it`);
    expect(refusal(initFrom)).toBe('train.py: error: argument --init-from: not with --resume (the checkpoint holds the weights)');
    expect(readFileSync(join(resumed, 'metrics.jsonl'), 'utf8')).toBe(first.stdout);
  }, 90_000);
});

it('a predictor with the id "__pred" (name-mangled as self.__pred once) is in the predictor\'s lr group', async () => {
  const doc = tiny('simsiam');
  const rename = (from: string, to: string) => {
    for (const n of doc.nodes) if (n.id === from) n.id = to;
    for (const e of doc.edges) for (const end of [e.from, e.to]) if (end.node === from) end.node = to;
  };
  rename(doc.nodes.find((n) => n.type === 'predictor')!.id, '__pred');
  doc.training.schedule.predictorFixedLr = true;
  const parsed = parseGraph(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const path = join(dir, 'mangled.py');
  writeFileSync(path, exportPytorch(parsed.doc));
  const got = await python<{ fixed: number; predictor: number; all: number; fixedAreThePredictors: boolean }>(String.raw`
import json, runpy, sys
g = runpy.run_path(json.load(sys.stdin), run_name='script')
graph = g['Graph']()
optimizer = g['make_optimizer'](graph, g['DOCUMENT']['training'], g['PREDICTORS'])
pred = next(m for n, m in graph.named_children() if n != g['ENCODER'] and n.endswith('pred'))
fixed = {id(p) for group in optimizer.param_groups if group['fixed'] for p in group['params']}
mine = {id(p) for p in pred.parameters()}
print(json.dumps(dict(fixed=len(fixed), predictor=len(mine), all=sum(len(group['params']) for group in optimizer.param_groups), fixedAreThePredictors=fixed == mine)))
`, path);
  expect(got.predictor).toBeGreaterThan(0);
  expect(got.all).toBeGreaterThan(got.predictor);
  expect(got).toMatchObject({ fixed: got.predictor, fixedAreThePredictors: true });
}, 60_000);
