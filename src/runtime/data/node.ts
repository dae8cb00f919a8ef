/**
 * Node only: finds a dataset on disk from a CLI spec. `fashion-mnist` looks in
 * $SIAMESE_STUDIO_DATA (itself, or its fashion-mnist/ folder), then in
 * /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist);
 * `fashion-mnist=DIR` and `cifar10=DIR` take a folder.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FASHION_MNIST_FILES, loadCifar10, loadFashionMnist, type Dataset, type FileSource } from './dataset';
import { DataError, MAX_IDX_BYTES } from './idx';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** A data file is at most this large (an IDX file's data and header; CIFAR-10's batches are 31 MB). */
const MAX_DATA_FILE = MAX_IDX_BYTES + 64;

/** Regular files only (a FIFO or a device would block or never end), of a size a data file can have. */
const folder = (dir: string): FileSource => async (name) => {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new DataError(`${path}: is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; expected a data file`);
    if (info.size > MAX_DATA_FILE) throw new DataError(`${path}: is ${info.size} bytes; a data file is at most ${MAX_DATA_FILE}`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
};

function fashionMnistCandidates(): string[] {
  const env = process.env.SIAMESE_STUDIO_DATA;
  return [...(env ? [join(env, 'fashion-mnist'), env] : []), DEBIAN_FASHION_MNIST];
}

const hasFashionMnist = (dir: string) =>
  existsSync(join(dir, `${FASHION_MNIST_FILES.trainImages}.gz`)) || existsSync(join(dir, FASHION_MNIST_FILES.trainImages));

export async function loadDatasetSpec(spec: string): Promise<Dataset> {
  const [name, dir] = spec.split(/=(.*)/s, 2) as [string, string | undefined];
  if (name === 'fashion-mnist') {
    if (dir) return loadFashionMnist(folder(dir), dir);
    const candidates = fashionMnistCandidates();
    const found = candidates.find(hasFashionMnist);
    if (!found) {
      throw new DataError(`fashion-mnist: not found (looked in ${candidates.join(', ')}); install it with \`apt-get install dataset-fashion-mnist\` or pass --data fashion-mnist=DIR`);
    }
    return loadFashionMnist(folder(found), found);
  }
  if (name === 'cifar10') {
    if (!dir) throw new DataError('cifar10: pass the folder of the binary version: --data cifar10=DIR');
    return loadCifar10(folder(dir), dir);
  }
  throw new DataError(`unknown dataset "${name}" (expected fashion-mnist[=DIR] or cifar10=DIR)`);
}
