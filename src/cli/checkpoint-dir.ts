/**
 * A run's checkpoint on disk, DIR/checkpoint/: `state.json` and the tensors
 * it names by their SHA-256, `state-<16 hex>.safetensors`. A new checkpoint
 * writes its tensors beside the old ones, then replaces state.json by rename:
 * that rename is the switch, so a kill, a full disk or a second Ctrl-C at any
 * moment leaves the old checkpoint or the new one, whole. Old tensor files go
 * only after the switch.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CheckpointError, readCheckpointState, type CheckpointFiles, type CheckpointState } from '../runtime/checkpoint';
import { listDir, makeDir, pathKind, readRegularFile, removeTemporaries, syncDir, tryUnlink, writeFileAtomic } from './files';

export const STATE_FILE = 'state.json';
const TENSORS = /^state-[0-9a-f]{16}\.safetensors$/;
const tensorsFileOf = (sha256: string) => `state-${sha256.slice(0, 16)}.safetensors`;

/** Writes a checkpoint into `dir` (created if needed); on failure the previous checkpoint is still there. */
export function writeCheckpointDir(dir: string, files: CheckpointFiles): void {
  makeDir(dir);
  removeTemporaries(dir);
  const tensors = tensorsFileOf(createHash('sha256').update(files.tensors).digest('hex'));
  writeFileAtomic(join(dir, tensors), files.tensors);
  syncDir(dir);
  writeFileAtomic(join(dir, STATE_FILE), files.json);
  syncDir(dir);
  for (const name of listDir(dir)) if (TENSORS.test(name) && name !== tensors) tryUnlink(join(dir, name));
}

export interface CheckpointOnDisk {
  state: CheckpointState;
  tensors: Uint8Array;
  files: { state: string; tensors: string };
}

/** Reads and checks the checkpoint in `dir` (its tensors against a program later). */
export function readCheckpointDir(dir: string): CheckpointOnDisk {
  const stateFile = join(dir, STATE_FILE);
  if (pathKind(stateFile) === 'missing') throw new CheckpointError(`no complete checkpoint there (expected ${stateFile})`);
  const state = readCheckpointState(readRegularFile(stateFile, 256 << 20, 'checkpoint state file').toString('utf8'), stateFile);
  const tensorsFile = join(dir, tensorsFileOf(state.tensorsSha256));
  if (pathKind(tensorsFile) === 'missing') throw new CheckpointError(`${stateFile}: names the tensors ${tensorsFile}, which is missing`);
  const tensors = new Uint8Array(readRegularFile(tensorsFile, 2 ** 31 - 1, 'checkpoint tensors file'));
  return { state, tensors, files: { state: stateFile, tensors: tensorsFile } };
}
