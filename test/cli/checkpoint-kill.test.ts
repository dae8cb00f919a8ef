/**
 * A kill at any moment keeps the last complete checkpoint: runs with a
 * checkpoint every step are SIGKILLed at seeded random moments (several times
 * per run, resuming each time) and every resume must continue with exactly
 * the losses of an uninterrupted run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { Rng } from '../../src/nodes/nn/rng';
import { cli, jsonLines, spawnCli, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-kill-'));
const STEPS = 10;

interface Attempt { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the CLI and SIGKILLs it `delayMs` after its first output (a step line), unless it ends first. */
function attempt(args: string[], delayMs: number): Promise<Attempt> {
  const child = spawnCli('train', ...args);
  let stdout = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr });
  }));
}

it('SIGKILL at 20+ random moments of --checkpoint-every 1 runs: every --resume continues with the uninterrupted losses', async () => {
  const data = writeFashionMnistLike(join(dir, 'data'), 40);
  const graph = join(dir, 'tiny.json');
  writeFileSync(graph, serializeGraph(tiny('simsiam')));
  const common = [graph, '--data', `fashion-mnist=${data}`, '--steps', String(STEPS), '--batch', '4', '--backend', 'cpu', '--checkpoint-every', '1', '--jsonl'];
  const reference = await cli('train', ...common);
  expect(reference.code, reference.stderr).toBe(0);
  const losses = jsonLines(reference.stdout).filter((r) => !r.done).map((r) => r.loss);
  expect(losses).toHaveLength(STEPS);

  const rng = new Rng(15);
  let kills = 0;
  let noCheckpointYet = 0;
  for (let run = 0; kills < 20; run++) {
    const out = join(dir, `run${run}`);
    let resume = false;
    for (;;) {
      const a = await attempt([...common, ...(resume ? ['--resume', out] : ['--out', out])], rng.uniform(0, 900));
      // Whatever it printed before it ended is the uninterrupted run's.
      for (const r of jsonLines(a.stdout.slice(0, a.stdout.lastIndexOf('\n') + 1)).filter((x) => 'loss' in x && !x.done)) {
        expect(r.loss, `run ${run} step ${r.step}`).toBe(losses[r.step - 1]);
      }
      if (a.signal === 'SIGKILL') {
        kills++;
        resume = true;
        continue;
      }
      if (resume && a.code === 2) {
        // Killed before its first checkpoint was complete: one line says so; start again.
        expect(a.stderr).toBe(`siamese-studio: --resume ${out}: no complete checkpoint there (expected ${join(out, 'checkpoint', 'state.json')})\n`);
        noCheckpointYet++;
        resume = false;
        continue;
      }
      expect(a.code, a.stderr).toBe(0);
      break;
    }
    const logged = jsonLines(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).filter((x) => 'loss' in x && !x.done);
    expect(logged.map((x) => x.step)).toEqual(losses.map((_, i) => i + 1));
    expect(logged.map((x) => x.loss)).toEqual(losses);
  }
  expect(kills).toBeGreaterThanOrEqual(20);
  console.log(`${kills} kills, ${noCheckpointYet} before a first checkpoint`);
}, 600_000);
