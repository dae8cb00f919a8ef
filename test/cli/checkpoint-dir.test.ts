/**
 * The checkpoint writer under a failing disk: a write error (ENOSPC here,
 * injected into node:fs after some bytes) names the file, and the previous
 * checkpoint reads back whole; no temporary file is left behind.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from '../../src/runtime/checkpoint';

/** Bytes the disk still takes before writes fail with ENOSPC (Infinity: a healthy disk). */
let room = Infinity;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
    const n = Math.min(length ?? buffer.length, room);
    if (n <= 0 && (length ?? buffer.length) > 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    room -= n;
    return real.writeSync(fd, buffer, offset, n);
  }) as typeof real.writeSync;
  return { ...real, writeSync, default: { ...real, writeSync } };
});

const { readCheckpointDir, writeCheckpointDir } = await import('../../src/cli/checkpoint-dir');

function checkpoint(step: number, size: number) {
  const tensors = new Uint8Array(size).fill(step);
  const json = JSON.stringify({
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, state: {}, graph: '{}', tensorsSha256: createHash('sha256').update(tensors).digest('hex'),
    optimizerStep: step, completed: step, sampler: { rng: [1, 2, 3, 4], order: null, position: 0 }, augment: [5, 6, 7, 8],
  });
  return { json, tensors };
}

describe('writeCheckpointDir on a full disk', () => {
  it.each([['the tensors', 100], ['state.json', 4096 + 50]])('a failure while writing %s keeps the previous checkpoint whole', (what, bytes) => {
    const dir = join(fs.mkdtempSync(join(tmpdir(), 'siamese-enospc-')), 'checkpoint');
    room = Infinity;
    writeCheckpointDir(dir, checkpoint(3, 4096));
    room = bytes;
    const next = checkpoint(4, 4096);
    const name = what === 'state.json' ? 'state\\.json' : 'state-[0-9a-f]{16}\\.safetensors';
    expect(() => writeCheckpointDir(dir, next)).toThrow(new RegExp(`^cannot write ${dir}/${name}: no space left on the device \\(ENOSPC\\)$`));
    room = Infinity;
    const back = readCheckpointDir(dir);
    expect(back.state.completed).toBe(3);
    expect(back.tensors.every((b) => b === 3)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // and once there is room again, the next checkpoint replaces it
    writeCheckpointDir(dir, next);
    expect(readCheckpointDir(dir).state.completed).toBe(4);
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^state-[0-9a-f]{16}\.safetensors$/), 'state.json']);
  });
});
