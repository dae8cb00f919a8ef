/**
 * The exported script's failures keep the last good checkpoint and resume
 * where they stopped, as the CLI's do (test/cli/checkpoint-kill.test.ts):
 * Ctrl-C stops after the current step with a checkpoint (exit 130, no
 * traceback; under torchrun every process at the same step), a kill at any
 * moment of a --checkpoint-every 1 run leaves a complete checkpoint or none,
 * and --resume continues with bit for bit the losses of an uninterrupted run
 * (one thread), each step logged once. A step that leaves a weight or a
 * BatchNorm statistic non-finite stops the run (exit 1) with the checkpoint
 * before it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/nodes/nn/rng';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import { python, tinyFashionMnist } from '../helpers/python';
import { tiny } from '../helpers/runtime';
import { CHECKPOINT_SUMMARY, jsonRecords, loggedSteps, runScript } from '../helpers/script';

const dir = mkdtempSync(join(tmpdir(), 'script-resume-'));
let data: string;
const scripts: Record<'simsiam' | 'byol', string> = { simsiam: '', byol: '' };

beforeAll(() => {
  data = tinyFashionMnist(join(dir, 'data'), 40);
  for (const name of ['simsiam', 'byol'] as const) {
    scripts[name] = join(dir, `${name}.py`);
    writeFileSync(scripts[name], exportPytorch(tiny(name)));
  }
});

const checkpointOf = (out: string) => python<{ step: number; finite: boolean }>(`import sys; sys.argv = ['', ${JSON.stringify(join(out, 'checkpoint.pt'))}]\n${CHECKPOINT_SUMMARY}`, null);
const lossesOf = (stdout: string) => jsonRecords(stdout).filter((r) => 'loss' in r && !r.done).map((r) => r.loss as number);

describe('Ctrl-C and --resume', () => {
  const STEPS = 120;
  it.each(['simsiam', 'byol'] as const)('%s: Ctrl-C stops after the step with a checkpoint (exit 130, two lines, no traceback); --resume gives the uninterrupted losses, each step logged once', async (name) => {
    const args = ['--data', data, '--steps', String(STEPS), '--batch', '4', '--checkpoint-every', '1000'];
    const reference = await runScript(scripts[name], [...args, '--out', join(dir, `${name}-ref`)]);
    expect(reference.code, reference.stderr).toBe(0);
    const losses = lossesOf(reference.stdout);
    expect(losses).toHaveLength(STEPS);

    const out = join(dir, `${name}-stopped`);
    const stopped = await runScript(scripts[name], [...args, '--out', out], { signalAfterMs: 100, timeoutMs: 60_000 });
    expect(stopped.signal, stopped.stderr).toBeNull();
    expect(stopped.code, stopped.stderr).toBe(130);
    const at = loggedSteps(out).length;
    expect(at).toBeGreaterThan(0);
    expect(at, 'Ctrl-C came after the run ended: signal sooner').toBeLessThan(STEPS);
    const script = `${name}.py`;
    expect(stopped.stderr).toBe(`${script}: stopping after this step (Ctrl-C again to abort)…\n`
      + `${script}: stopped after step ${at}; the checkpoint (step ${at}) is in ${join(out, 'checkpoint.pt')}: continue with --resume\n`);
    expect(jsonRecords(stopped.stdout).at(-1)).toMatchObject({ done: true, steps: at, interrupted: true });
    expect(await checkpointOf(out)).toEqual({ step: at, finite: true });

    const resumed = await runScript(scripts[name], [...args, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonRecords(resumed.stdout)[0].step).toBe(at + 1);
    const logged = loggedSteps(out);
    expect(logged.map((r) => r.step)).toEqual(losses.map((_, i) => i + 1));
    expect(logged.map((r) => r.loss)).toEqual(losses);
    const enc = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
    expect(enc.metadata?.step).toBe(String(STEPS));
  }, 120_000);

  it('a second Ctrl-C aborts at once (exit 130, no traceback); the last complete checkpoint resumes with the uninterrupted losses', async () => {
    const args = ['--data', data, '--steps', String(STEPS), '--batch', '4', '--checkpoint-every', '5'];
    const reference = await runScript(scripts.simsiam, [...args, '--out', join(dir, 'twice-ref')]);
    expect(reference.code, reference.stderr).toBe(0);
    const losses = lossesOf(reference.stdout);
    const rng = new Rng(16);
    let aborted = 0;
    for (let run = 0; run < 3; run++) {
      const out = join(dir, `twice${run}`);
      const a = await runScript(scripts.simsiam, [...args, '--out', out], { signalAfterMs: rng.uniform(0, 100), signals: ['SIGINT', 'SIGINT'], apartMs: rng.uniform(0, 20) });
      expect(a.signal, a.stderr).toBeNull();
      expect(a.code, a.stderr).toBe(130);
      expect(a.stderr).not.toContain('Traceback');
      // the second one came during the step or the checkpoint, or after the run had stopped
      expect(a.stderr).toMatch(/\n(simsiam\.py: aborted; the last complete checkpoint is kept|simsiam\.py: stopped after step \d+; .*)\n$/);
      if (a.stderr.includes('aborted')) aborted++;
      const r = await runScript(scripts.simsiam, [...args, '--out', out, '--resume']);
      if (r.code === 2) {
        expect(r.stderr).toBe(`simsiam.py: --resume: no checkpoint yet in ${out} (expected ${join(out, 'checkpoint.pt')})\n`);
        continue;
      }
      expect(r.code, r.stderr).toBe(0);
      expect(loggedSteps(out).map((x) => x.loss)).toEqual(losses);
    }
    console.log(`${aborted} of 3 aborted by the second Ctrl-C`);
  }, 120_000);

  it('SIGKILL at random moments of --checkpoint-every 1 runs: each --resume continues with the uninterrupted losses, or says in one line that there is no checkpoint yet', async () => {
    const steps = 12;
    const args = ['--data', data, '--steps', String(steps), '--batch', '4', '--checkpoint-every', '1'];
    const reference = await runScript(scripts.simsiam, [...args, '--out', join(dir, 'kill-ref')]);
    expect(reference.code, reference.stderr).toBe(0);
    const losses = lossesOf(reference.stdout);
    const rng = new Rng(15);
    let kills = 0;
    let noCheckpointYet = 0;
    for (let run = 0; kills < 6; run++) {
      const out = join(dir, `kill${run}`);
      let resume = false;
      for (;;) {
        const a = await runScript(scripts.simsiam, [...args, '--out', out, ...(resume ? ['--resume'] : [])], {
          // a third of them about the first checkpoint, written right after the first step's line
          signalAfterMs: rng.uniform(0, 1) < 1 / 3 ? rng.uniform(0, 15) : rng.uniform(0, 150), signals: ['SIGKILL'],
        });
        // whatever it printed before it ended is the uninterrupted run's
        for (const r of jsonRecords(a.stdout).filter((x) => 'loss' in x && !x.done)) expect(r.loss, `run ${run} step ${r.step}`).toBe(losses[(r.step as number) - 1]);
        // killed on its way out, after its last record: its work is done
        const finished = jsonRecords(a.stdout).some((r) => r.done);
        if (a.signal === 'SIGKILL' && !finished) {
          kills++;
          resume = true;
          continue;
        }
        if (resume && a.code === 2) {
          expect(a.stderr).toBe(`simsiam.py: --resume: no checkpoint yet in ${out} (expected ${join(out, 'checkpoint.pt')})\n`);
          noCheckpointYet++;
          resume = false;
          continue;
        }
        if (a.signal !== 'SIGKILL') expect(a.code, a.stderr).toBe(0);
        break;
      }
      const logged = loggedSteps(out);
      expect(logged.map((r) => r.step)).toEqual(losses.map((_, i) => i + 1));
      expect(logged.map((r) => r.loss)).toEqual(losses);
    }
    console.log(`${kills} kills, ${noCheckpointYet} before a first checkpoint`);
  }, 300_000);

  it('under torchrun (2 processes, gloo), Ctrl-C to the process group stops both at the same step with a checkpoint; --resume gives the uninterrupted losses', async () => {
    const steps = 150;
    const args = ['--data', data, '--steps', String(steps), '--batch', '4', '--checkpoint-every', '1000'];
    const reference = await runScript(scripts.simsiam, [...args, '--out', join(dir, 'ddp-ref')], { torchrun: 2 });
    expect(reference.code, reference.stderr).toBe(0);
    const losses = loggedSteps(join(dir, 'ddp-ref')).map((r) => r.loss);
    expect(losses).toHaveLength(steps);
    const out = join(dir, 'ddp-stopped');
    const stopped = await runScript(scripts.simsiam, [...args, '--out', out], { torchrun: 2, signalAfterMs: 300, timeoutMs: 90_000 });
    expect(stopped.signal, `${stopped.stdout}\n${stopped.stderr}`).toBeNull();
    const at = loggedSteps(out).length;
    expect(at).toBeGreaterThan(0);
    expect(at, 'Ctrl-C came after the run ended: signal sooner').toBeLessThan(steps);
    // torchrun's agent prints its own traceback for the signal; the processes say one stop line
    expect(stopped.stderr).toContain(`simsiam.py: stopped after step ${at}; the checkpoint (step ${at}) is in ${join(out, 'checkpoint.pt')}: continue with --resume\n`);
    expect(stopped.stderr).not.toMatch(/File ".*simsiam\.py"/);
    expect(await checkpointOf(out)).toEqual({ step: at, finite: true });
    const resumed = await runScript(scripts.simsiam, [...args, '--out', out, '--resume'], { torchrun: 2 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(loggedSteps(out).map((r) => r.loss)).toEqual(losses);
  }, 180_000);
});

it('a step that leaves a BatchNorm statistic non-finite (finite loss; SGD at lr 100) stops the run: exit 1, one line naming the tensor, the checkpoint before it kept', async () => {
  const doc = tiny('byol');
  doc.training.optimizer = { type: 'sgd', lr: 100, momentum: 0.9, nesterov: false, weightDecay: 1 };
  doc.training.schedule.decay = 'constant';
  const script = join(dir, 'explode.py');
  writeFileSync(script, exportPytorch(doc));
  const out = join(dir, 'explode');
  const r = await runScript(script, ['--data', data, '--steps', '30', '--batch', '4', '--checkpoint-every', '1', '--out', out]);
  const m = /^explode\.py: step (\d+) left (\S+) non-finite \(its loss, -?[\d.e-]+, was finite\): training stopped; the last checkpoint \(step (\d+)\) is kept in (.+)\n$/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  expect(r.code).toBe(1);
  const [bad, kept] = [Number(m![1]), Number(m![3])];
  expect(m![2]).toMatch(/\.running_(mean|var)$/);
  expect(kept).toBe(bad - 1);
  expect(m![4]).toBe(join(out, 'checkpoint.pt'));
  expect(loggedSteps(out).map((s) => s.step)).toEqual(Array.from({ length: kept }, (_, i) => i + 1));
  expect(jsonRecords(r.stdout).at(-1)).toMatchObject({ done: true, steps: kept, error: expect.stringContaining(`step ${bad} left`) });
  expect(await checkpointOf(out)).toEqual({ step: kept, finite: true });
  const enc = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
  expect(enc.metadata?.step).toBe(String(kept));
  for (const [name, t] of Object.entries(enc.tensors)) expect(t.data.every(Number.isFinite), name).toBe(true);
}, 60_000);
