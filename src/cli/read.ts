import { readFile, stat } from 'node:fs/promises';
import { MAX_DOCUMENT_CHARS } from '../graph';
import { CliError } from './io';

/** The text of a document file, refusing what cannot be one before reading it. */
export async function readDocumentText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`${file}: is a directory, not a graph document`);
    // A FIFO would block forever and a device (/dev/zero) never end: regular files only.
    if (!info.isFile()) throw new CliError(`${file}: is not a regular file; a graph document is a .json file`);
    // UTF-8 takes up to 4 bytes a character: anything larger cannot be under the limit.
    if (info.size > MAX_DOCUMENT_CHARS * 4) throw new CliError(`${file}: is ${info.size} bytes; a graph document is far smaller`);
    return await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(`cannot read ${file}: ${reason}`);
  }
}
