/**
 * Inputs that used to hang, mislead or end in "internal error", and a user's
 * own folder as --out: each is one line naming the file or flag (exit 2),
 * and nothing of the user's is overwritten without --force.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { cli, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-inputs-'));
const data = writeFashionMnistLike(join(dir, 'data'), 40);
const graph = join(dir, 'tiny.json');
writeFileSync(graph, serializeGraph(tiny('simsiam')));
const train = (...args: string[]) => cli('train', ...args);
const quick = (...extra: string[]) => train(graph, '--data', `fashion-mnist=${data}`, '--steps', '1', '--batch', '4', '--backend', 'cpu', ...extra);
const fifo = (path: string) => { execFileSync('mkfifo', [path]); return path; };

describe('--out', () => {
  it('refuses a non-empty folder that is not a run of ours, and touches none of its files; --force writes into it', async () => {
    const mine = join(dir, 'mine');
    mkdirSync(join(mine, 'encoder'), { recursive: true });
    const files = { 'graph.json': 'my graph', 'metrics.jsonl': 'my metrics', 'encoder/model.json': 'my model' };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(mine, name), text);
    const r = await quick('--out', mine);
    expect(r).toMatchObject({ code: 2, stderr: `siamese-studio: --out ${mine}: the folder is not empty (encoder, graph.json, metrics.jsonl) and is not a Siamese Studio run; pass --force to write into it\n` });
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(mine, name), 'utf8')).toBe(text);
    const forced = await quick('--out', mine, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(mine, 'graph.json'), 'utf8')).toBe(readFileSync(graph, 'utf8'));
    // now it is a run folder: a second run goes in without --force
    expect((await quick('--out', mine)).code).toBe(0);
  }, 60_000);

  it('a file, a path through a file, or a place that refuses folders (/proc) is one line, at once', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(await quick('--out', file)).toMatchObject({ code: 2, stderr: `siamese-studio: --out ${file}: exists and is not a folder\n` });
    expect(await quick('--out', join(file, 'run'))).toMatchObject({ code: 2, stderr: `siamese-studio: cannot create folder ${join(file, 'run')}: a part of the path is not a folder (ENOTDIR)\n` });
    expect(await quick('--out', '/proc/siamese-run')).toMatchObject({ code: 2, stderr: 'siamese-studio: cannot create folder /proc/siamese-run: the file system there does not allow new folders (ENOENT)\n' });
  }, 60_000);
});

describe('inputs that are not regular files are refused before reading', () => {
  it.each([['validate'], ['train']])('%s: a FIFO or /dev/zero as the graph', async (command) => {
    const pipe = fifo(join(dir, `graph-${command}.fifo`));
    const extra = command === 'train' ? ['--data', `fashion-mnist=${data}`, '--steps', '1'] : [];
    expect(await cli(command, pipe, ...extra)).toMatchObject({ code: 2, stderr: `siamese-studio: ${pipe}: is not a regular file; a graph document is a .json file\n` });
    expect(await cli(command, '/dev/zero', ...extra)).toMatchObject({ code: 2, stderr: 'siamese-studio: /dev/zero: is not a regular file; a graph document is a .json file\n' });
  }, 30_000);

  it('a FIFO as a data file', async () => {
    const piped = join(dir, 'piped');
    writeFashionMnistLike(piped, 8);
    execFileSync('rm', [join(piped, 'train-labels-idx1-ubyte')]);
    const pipe = fifo(join(piped, 'train-labels-idx1-ubyte'));
    expect(await train(graph, '--data', `fashion-mnist=${piped}`, '--steps', '1', '--batch', '4', '--backend', 'cpu'))
      .toMatchObject({ code: 2, stderr: `siamese-studio: ${pipe}: is not a regular file; expected a data file\n` });
  }, 30_000);
});

describe('flags and data the document caps or the graph cannot take', () => {
  it.each([
    ['--steps', '1e300', 'must be an integer from 1 to 100000000'],
    ['--steps', '100000001', 'must be an integer from 1 to 100000000'],
    ['--seed', '1e20', 'must be an integer from 0 to 2147483647'],
    ['--seed', '-1', 'must be an integer from 0 to 2147483647'],
    ['--batch', '65537', 'must be an integer from 2 to 65536'],
    ['--checkpoint-every', '0', 'must be an integer from 1 to 100000000'],
  ])('%s %s', async (flag, value, message) => {
    const r = await train(graph, '--data', `fashion-mnist=${data}`, ...(flag === '--steps' ? [] : ['--steps', '1']), `${flag}=${value}`);
    expect(r).toMatchObject({ code: 2, stderr: `siamese-studio: train: ${flag} ${message}, got "${value}"\n` });
  }, 30_000);

  it('CIFAR-10 data under a Fashion-MNIST graph', async () => {
    const cifar = join(dir, 'cifar');
    mkdirSync(cifar);
    const record = (label: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, 100)]);
    for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      writeFileSync(join(cifar, `${name}.bin`), Buffer.concat([record(1), record(2), record(3), record(4)]));
    }
    const r = await train(graph, '--data', `cifar10=${cifar}`, '--steps', '1', '--batch', '4', '--backend', 'cpu');
    expect(r).toMatchObject({ code: 2, stderr: `siamese-studio: --data cifar10=${cifar}: its images are 32×32×3, but node "data" of the graph gives 28×28×1: the channel counts must match\n` });
  }, 30_000);
});

describe('a value out of range is an invalid graph (exit 1), in training as in a node', () => {
  it.each([
    ['training.batchSize 0', (d: ReturnType<typeof tiny>) => { (d.training as { batchSize: number }).batchSize = 0; }, 'error training.batchSize: must be an integer between 2 and 65536, got 0 [param-out-of-range]'],
    ['a node param', (d: ReturnType<typeof tiny>) => { (d.nodes.find((n) => n.id === 'proj')!.params as { outputDim: number }).outputDim = 0; }, '[param-out-of-range]'],
  ])('%s', async (_, edit, line) => {
    const doc = JSON.parse(serializeGraph(tiny('simsiam')));
    edit(doc);
    const p = join(dir, `range-${_.replace(/\W+/g, '-')}.json`);
    writeFileSync(p, JSON.stringify(doc));
    const v = await cli('validate', p);
    expect(v.code, v.stderr).toBe(1);
    expect(v.stdout).toContain(line);
    const t = await train(p, '--data', `fashion-mnist=${data}`, '--steps', '1');
    expect(t.code, t.stderr).toBe(1);
    expect(t.stderr).toContain(line);
  }, 30_000);
});
