/**
 * The --out folder of a run: graph.json, metrics.jsonl, the encoder files,
 * checkpoint/, and run.json, which marks it as ours. A user's own files are
 * never overwritten without --force: a non-empty folder without run.json is
 * refused. A new run into a run folder replaces that run (its checkpoint
 * first, so it is never resumed by mistake); a resumed run keeps the metrics
 * up to its checkpoint's step and drops what a killed run logged after it.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_FILE } from './checkpoint-dir';
import { CliError } from './io';
import { listDir, makeDir, pathKind, removeTemporaries, tryUnlink, writeFileAtomic, WriteError } from './files';

export const RUN_FILE = 'run.json';
const RUN_FORMAT = 'siamese-studio.run';
export const CHECKPOINT_DIR = 'checkpoint';
export const METRICS_FILE = 'metrics.jsonl';

/** What train's flags set over graph.json's training block (--steps, --batch, --seed): run.json keeps them, so the run's settings are known. */
export interface RunSettings {
  steps: number;
  batchSize: number;
  seed: number;
}

/** Where and when the run ran, recorded in run.json beside its settings (compare's diff and the editor's import read them; the editor's export writes the same). */
export interface RunAbout {
  /** ISO date of its start (a resume keeps the first start's). */
  createdAt: string;
  backend: { name: string; reason?: string };
  /** The dataset and its training images, e.g. "fashion-mnist (60000)". */
  data: string;
}

/** A folder whose run.json says it is a run of ours (train --out). */
export function isRunFolder(dir: string): boolean {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')).format === RUN_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Refuses `out` where a run must not write: a file, or a non-empty folder
 * that is not a run of ours (unless `force`). `resumingHere`: `out` holds the
 * checkpoint being resumed, so it is a run of ours even from before run.json.
 * Writes nothing: it runs before any data is loaded.
 */
export function checkRunFolder(out: string, options: { resumingHere: boolean; force: boolean; flag: string }): void {
  const kind = pathKind(out);
  if (kind === 'file' || kind === 'other') throw new CliError(`${options.flag} ${out}: exists and is not a folder`);
  const entries = listDir(out);
  if (entries.length && !isRunFolder(out) && !options.force && !options.resumingHere) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new CliError(`${options.flag} ${out}: the folder is not empty (${shown}) and is not a Siamese Studio run; pass --force to write into it`);
  }
}

/**
 * Makes `out` ready for a run. `resumedHere`: the step of the checkpoint in
 * `out` that this run continues from (undefined for a new run, or a resume
 * written elsewhere); `flag` names the folder's flag in errors.
 */
export function prepareRunFolder(out: string, options: { resumedHere?: number; force: boolean; flag: string; settings?: RunSettings; about?: RunAbout }): () => void {
  checkRunFolder(out, { resumingHere: options.resumedHere !== undefined, force: options.force, flag: options.flag });
  makeDir(out);
  const release = lockRunFolder(out, options.flag);
  const about = options.about && { ...options.about, createdAt: (options.resumedHere !== undefined && startedAt(out)) || options.about.createdAt };
  writeFileAtomic(join(out, RUN_FILE), `${JSON.stringify({ format: RUN_FORMAT, version: 1, ...(options.settings && { settings: options.settings }), ...about })}\n`);
  for (const dir of [out, join(out, 'encoder'), join(out, CHECKPOINT_DIR)]) removeTemporaries(dir);
  const metrics = join(out, METRICS_FILE);
  if (options.resumedHere === undefined) {
    const checkpoint = join(out, CHECKPOINT_DIR);
    tryUnlink(join(checkpoint, STATE_FILE)); // the switch first: no half of an old checkpoint is ever read as one
    for (const name of listDir(checkpoint)) if (/^state(-[0-9a-f]{16})?\.safetensors$/.test(name)) tryUnlink(join(checkpoint, name));
    writeFileAtomic(metrics, '');
  } else {
    writeFileAtomic(metrics, metricsUpTo(metrics, options.resumedHere));
  }
  return release;
}

/** The start run.json records (a resumed run keeps it), if any. */
function startedAt(out: string): string | undefined {
  try {
    const createdAt: unknown = JSON.parse(readFileSync(join(out, RUN_FILE), 'utf8')).createdAt;
    return typeof createdAt === 'string' ? createdAt : undefined;
  } catch {
    return undefined;
  }
}

const LOCK_FILE = '.lock';

/**
 * One writer per run folder: two runs (a run and its resume started beside
 * it) would interleave their metrics and checkpoints. The lock file holds the
 * writer's pid; one whose process is gone (killed, or a second Ctrl-C) is
 * stale and taken over. Returns the release.
 */
function lockRunFolder(out: string, flag: string): () => void {
  const file = join(out, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => tryUnlink(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new WriteError(file, e);
      refuseIfWritten(out, flag);
      tryUnlink(file); // stale: its writer is gone
    }
  }
  throw new CliError(`${flag} ${out}: could not take the run folder's lock (${file})`);
}

/**
 * Refuses a run folder another live train is writing. --resume calls it before
 * reading the checkpoint: the writer may be switching it at that moment, and
 * the reader would blame a half-switched checkpoint instead of naming the writer.
 */
export function refuseIfWritten(out: string, flag: string): void {
  let text: string;
  try {
    text = readFileSync(join(out, LOCK_FILE), 'utf8');
  } catch {
    return; // no lock: no writer
  }
  const pid = Number.parseInt(text, 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new CliError(`${flag} ${out}: another siamese-studio train (pid ${pid}) is writing this run folder; wait for it or stop it first`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The complete lines of a metrics log that belong to steps ≤ `step` (and the lines of no step: done records). */
function metricsUpTo(file: string, step: number): string {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new WriteError(file, e, 'read');
  }
  const kept = text.split('\n').filter((line) => {
    try {
      const record = JSON.parse(line) as { step?: unknown };
      return typeof record.step !== 'number' || record.step <= step;
    } catch {
      return false; // an empty line, or the half line of a killed write
    }
  });
  return kept.map((line) => `${line}\n`).join('');
}
