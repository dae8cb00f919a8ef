/**
 * The CLI's file system access, so that nothing is lost and every failure is
 * one line naming the path: whole files via a temporary name, fsync and
 * rename (a kill or a full disk leaves the old file, never half of one);
 * folders made level by level (Node's recursive mkdir spins forever where the
 * file system refuses new folders, as under /proc); only regular files read.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from './io';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EEXIST: 'already exists', ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder', EISDIR: 'is a folder', EIO: 'input/output error', ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links', EMFILE: 'too many open files', ENXIO: 'no such device',
};

/** A file system error in words, with its code. */
function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return code ?? (e as Error).message;
}

/** A failed write or folder creation, naming the path. */
export class WriteError extends CliError {
  constructor(readonly path: string, e: unknown, what = 'write') {
    super(`cannot ${what} ${path}: ${fsReason(e)}`);
  }
}

/** The suffix of temporary files; leftovers of a killed run match TEMP. */
const tempOf = (path: string) => `${path}.tmp-${process.pid}`;
const TEMP = /\.tmp-\d+$/;

/** Writes a whole file: to a temporary name, fsync, then rename over `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempOf(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* never made */ }
    throw new WriteError(path, e);
  }
}

/** Makes the renames in a folder durable (where the file system supports it). */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* some file systems cannot fsync a folder: the rename is still atomic */ }
}

/** Removes what killed writes left behind in a folder. */
export function removeTemporaries(dir: string): void {
  for (const name of listDir(dir)) if (TEMP.test(name)) tryUnlink(join(dir, name));
}

export function tryUnlink(path: string): void {
  try { unlinkSync(path); } catch { /* gone already */ }
}

/** A folder's entries, or none when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export type PathKind = 'missing' | 'file' | 'folder' | 'other';

export function pathKind(path: string): PathKind {
  try {
    const info = statSync(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other';
  } catch {
    return 'missing';
  }
}

/** mkdir -p, one level at a time. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const parent = dirname(dir);
    if (code === 'EEXIST') {
      if (pathKind(dir) === 'folder') return;
      throw new CliError(`cannot create folder ${dir}: a file of that name exists`);
    }
    if (code === 'ENOENT' && parent !== dir && pathKind(parent) === 'missing') {
      makeDir(parent);
      return makeDir(dir);
    }
    if (code === 'ENOENT') throw new CliError(`cannot create folder ${dir}: the file system there does not allow new folders (ENOENT)`);
    throw new WriteError(dir, e, 'create folder');
  }
}

/** A regular file's bytes, at most `limit` of them; anything else (FIFO, device, folder) is refused before reading. */
export function readRegularFile(path: string, limit: number, what = 'file'): Buffer {
  let size: number;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new CliError(`${path}: is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; expected a ${what}`);
    size = info.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${path}: ${fsReason(e)}`);
  }
  if (size > limit) throw new CliError(`${path}: is ${size} bytes; a ${what} is at most ${limit}`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${fsReason(e)}`);
  }
}
