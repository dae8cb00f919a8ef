/**
 * One writer per run folder: a second `train` into a folder a live run is
 * writing (a resume started beside it, say) is refused in one line, and a lock
 * left by a run that was killed does not block the next one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { cli, jsonLines, spawnCli, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-lock-'));
const data = writeFashionMnistLike(join(dir, 'data'), 40);
const graph = join(dir, 'tiny.json');
writeFileSync(graph, serializeGraph(tiny('simsiam')));
const common = (steps: number) => [graph, '--data', `fashion-mnist=${data}`, '--steps', String(steps), '--batch', '4', '--backend', 'cpu', '--jsonl'];

it('a second run into a folder a live run is writing is refused (exit 2, naming the pid); the first finishes untouched', async () => {
  const out = join(dir, 'live');
  const first = spawnCli('train', ...common(400), '--out', out, '--checkpoint-every', '1');
  let stdout = '';
  await new Promise<void>((resolve) => first.stdout!.on('data', (chunk) => { stdout += chunk; if (stdout.includes('"step":2,')) resolve(); }));
  const second = await cli('train', ...common(400), '--resume', out);
  first.kill('SIGINT');
  const firstCode = await new Promise<number | null>((resolve) => first.on('close', resolve));
  expect(second.code, second.stderr).toBe(2);
  expect(second.stderr.trim().split('\n')).toHaveLength(1);
  expect(second.stderr).toContain(`another siamese-studio train (pid ${first.pid}) is writing this run folder`);
  expect(firstCode).toBe(130);
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'loss' in r && !r.done).map((r) => r.step);
  expect(steps).toEqual(steps.map((_, i) => i + 1)); // one writer: 1, 2, 3, … with nothing interleaved
  expect(existsSync(join(out, '.lock'))).toBe(false);
}, 120_000);

it('a lock left by a killed run is stale: the resume takes it over', async () => {
  const out = join(dir, 'stale');
  const made = await cli('train', ...common(2), '--out', out);
  expect(made.code, made.stderr).toBe(0);
  const dead = spawn('true');
  await new Promise((resolve) => dead.on('close', resolve));
  writeFileSync(join(out, '.lock'), `${dead.pid}\n`);
  const resumed = await cli('train', ...common(3), '--resume', out);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(jsonLines(resumed.stdout).filter((r) => 'loss' in r && !r.done).map((r) => r.step)).toEqual([3]);
  expect(existsSync(join(out, '.lock'))).toBe(false);
}, 120_000);
