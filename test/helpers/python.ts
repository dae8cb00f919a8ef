/**
 * Python checks in batches: one /usr/bin/python3 process per batch (its start
 * and `import torch` take seconds), JSON in on stdin, JSON out on stdout.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const PYTHON = '/usr/bin/python3';
export const FMNIST = '/usr/share/datasets/fashion-mnist';

/** Runs `code` with `input` as JSON on stdin; returns what it prints as JSON (its last line). */
export function python<T>(code: string, input: unknown, timeoutMs = 300_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', code], { maxBuffer: 1 << 30, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`python failed: ${error.message}\n${stderr.slice(-4000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
    child.stdin!.end(JSON.stringify(input));
  });
}

export interface ScriptRun {
  script: string;
  /** what the script printed (its JSONL) */
  stdout: string;
  /** the traceback when it raised (SystemExit included) */
  error?: string;
  /** the script's DOCUMENT, module docstring and Graph docstring, as Python sees them */
  document?: unknown;
  doc?: string;
  graphDoc?: string;
}

const RUN_SCRIPTS = String.raw`
import contextlib, io, json, runpy, sys, traceback
jobs = json.load(sys.stdin)
results = []
for job in jobs:
    buf = io.StringIO()
    sys.argv = [job['script']] + job['args']
    try:
        with contextlib.redirect_stdout(buf):
            g = runpy.run_path(job['script'], run_name='__main__')
        results.append(dict(script=job['script'], stdout=buf.getvalue(), document=g['DOCUMENT'], doc=g['__doc__'], graphDoc=g['Graph'].__doc__))
    except BaseException as e:
        results.append(dict(script=job['script'], stdout=buf.getvalue(), error=''.join(traceback.format_exception(e))))
print(json.dumps(results))
`;

/** Runs exported scripts as __main__ (runpy), one after another in one process, each with its own argv. */
export const runScripts = (jobs: { script: string; args: string[] }[]) => python<ScriptRun[]>(RUN_SCRIPTS, jobs);

/** The JSONL records a run printed. */
export const records = (stdout: string): Record<string, unknown>[] =>
  stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/**
 * A Fashion-MNIST folder with the first `train` and `test` images of the real
 * files (raw IDX, which the exported script reads as well as .gz): enough
 * for a step at a small batch, without decoding 60k images per run.
 */
export function tinyFashionMnist(dir: string, train = 64, test = 16): string {
  mkdirSync(dir, { recursive: true });
  const cut = (name: string, count: number, itemBytes: number) => {
    const data = gunzipSync(readFileSync(join(FMNIST, `${name}.gz`)));
    const rank = data[3];
    const header = Buffer.from(data.subarray(0, 4 + 4 * rank));
    header.writeUInt32BE(count, 4);
    const start = 4 + 4 * rank;
    writeFileSync(join(dir, name), Buffer.concat([header, data.subarray(start, start + count * itemBytes)]));
  };
  cut('train-images-idx3-ubyte', train, 784);
  cut('train-labels-idx1-ubyte', train, 1);
  cut('t10k-images-idx3-ubyte', test, 784);
  cut('t10k-labels-idx1-ubyte', test, 1);
  return dir;
}
