/** CLI test helpers: the real `siamese-studio` binary in a child process, and small datasets on disk. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImageSet } from '../../src/runtime/data/dataset';
import { syntheticDataset } from './runtime';

export const root = new URL('../..', import.meta.url).pathname;
export const bin = join(root, 'bin/siamese-studio.mjs');

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the CLI to its end; resolves with the exit code, stdout and stderr whatever the code. */
export async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

export const spawnCli = (...args: string[]): ChildProcess => spawn(process.execPath, [bin, ...args], { cwd: root });

/** stdout of --jsonl, one object per line. */
export const jsonLines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** Synthetic 28×28 images as Fashion-MNIST's four raw IDX files in `dir` (for --data fashion-mnist=DIR); returns dir. */
export function writeFashionMnistLike(dir: string, trainCount: number, testCount = 16): string {
  mkdirSync(dir, { recursive: true });
  const write = (prefix: string, set: ImageSet) => {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([set.count, set.height, set.width], set.images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([set.count], set.labels));
  };
  write('train', syntheticDataset(trainCount, 11).train);
  write('t10k', syntheticDataset(testCount, 12).train);
  return dir;
}

/** A run folder's checkpoint: state.json, and the file name of the tensors it names. */
export function checkpointIn(out: string): { state: { completed: number; tensorsSha256: string }; tensorsFile: string } {
  const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
  return { state, tensorsFile: join(out, 'checkpoint', `state-${state.tensorsSha256.slice(0, 16)}.safetensors`) };
}
