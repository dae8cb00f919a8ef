/**
 * An exported train.py as its user runs it: a child process of
 * /usr/bin/python3 (one thread, so that runs repeat bit for bit), its exit
 * code, signal, stdout and stderr, optionally signalled once it has printed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON, python } from './python';

export interface ScriptResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

export interface ScriptOptions {
  /** after its first stdout line (a step), wait this long, then send `signals` `apartMs` apart */
  signalAfterMs?: number;
  signals?: NodeJS.Signals[];
  apartMs?: number;
  /** killed (SIGKILL) past this, and the result says so with signal SIGKILL */
  timeoutMs?: number;
  /** torchrun with this many processes (in a process group of its own, signalled as a terminal's Ctrl-C would) */
  torchrun?: number;
}

export const ONE_THREAD = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', CUDA_VISIBLE_DEVICES: '' };

export function runScript(script: string, args: string[], options: ScriptOptions = {}): Promise<ScriptResult> {
  const started = Date.now();
  // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0.
  const [cmd, argv] = options.torchrun
    ? ['torchrun', ['--standalone', `--nproc_per_node=${options.torchrun}`, '--redirects', '1', '--tee', '1', script, ...args]]
    : [PYTHON, [script, ...args]];
  const child = spawn(cmd, argv, { env: ONE_THREAD, detached: !!options.torchrun });
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null) return;
    if (options.torchrun) process.kill(-child.pid!, signal);
    else child.kill(signal);
  };
  let stdout = '';
  let stderr = '';
  const timers: NodeJS.Timeout[] = [];
  const signals = options.signals ?? ['SIGINT'];
  let armed = false;
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    if (options.signalAfterMs === undefined || armed) return;
    armed = true;
    signals.forEach((s, i) => timers.push(setTimeout(() => kill(s), options.signalAfterMs! + i * (options.apartMs ?? 0))));
  });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  if (options.timeoutMs) timers.push(setTimeout(() => kill('SIGKILL'), options.timeoutMs));
  return new Promise((resolve) => child.on('close', (code, signal) => {
    timers.forEach(clearTimeout);
    resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
  }));
}

/** The JSON lines of a text (complete lines only: a killed write leaves half of one). */
export const jsonRecords = (text: string): Record<string, unknown>[] =>
  text.slice(0, text.lastIndexOf('\n') + 1).split('\n').map((l) => l.replace(/^\[default\d+\]:/, '')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** The step records (those with a loss) of a run folder's metrics.jsonl. */
export const loggedSteps = (out: string) => jsonRecords(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).filter((r) => 'loss' in r && !r.done) as { step: number; loss: number }[];

/** What a checkpoint.pt holds, read by torch: its step and whether every tensor in it is finite. */
export const CHECKPOINT_SUMMARY = String.raw`
import json, sys, torch
def tensors(x):
    if torch.is_tensor(x): yield x
    elif isinstance(x, dict):
        for v in x.values(): yield from tensors(v)
    elif isinstance(x, (list, tuple)):
        for v in x: yield from tensors(v)
s = torch.load(sys.argv[1], map_location='cpu')
print(json.dumps(dict(step=s['step'], finite=all(bool(torch.isfinite(t).all()) for t in tensors(s) if t.is_floating_point()))))
`;

export interface MainCall { code: number; stdout: string; stderr: string }

const CALL_MAIN = String.raw`
import json, os, runpy, sys, tempfile
job = json.load(sys.stdin)
g = runpy.run_path(job['script'], run_name='script')
results = []
for args in job['calls']:
    sys.argv = [job['script']] + args
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            code = g['main'](args)
        except SystemExit as e:
            code = e.code
        finally:
            sys.stdout.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        results.append(dict(code=code, stdout=out.read().decode(), stderr=err.read().decode()))
print(json.dumps(results))
`;

/**
 * Calls the script's main(argv) once per argument list, in order, in one
 * Python process (its start and `import torch` take seconds): the exit code
 * main returns or argparse exits with, and what reached fds 1 and 2.
 */
export const callMain = (script: string, calls: string[][], timeoutMs = 120_000) => python<MainCall[]>(CALL_MAIN, { script, calls }, timeoutMs);
