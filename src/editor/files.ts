/** Reading the user's files for training: picked files, a picked folder, or a dropped folder. */
import type { DataInput } from '../runtime/worker/protocol';

const bytesOf = async (file: File) => new Uint8Array(await file.arrayBuffer());

/** Dataset files (Fashion-MNIST IDX, CIFAR-10 binary batches), by file name. */
export async function datasetFiles(files: Iterable<File>): Promise<DataInput> {
  return { kind: 'files', files: await Promise.all([...files].map(async (f) => ({ name: f.name, bytes: await bytesOf(f) }))) };
}

/** A folder of images: paths relative to the chosen folder's parent ("pets/cat/1.jpg"). */
export async function imageFolder(files: Iterable<{ file: File; path: string }>): Promise<DataInput> {
  return { kind: 'images', files: await Promise.all([...files].map(async ({ file, path }) => ({ path, bytes: await bytesOf(file) }))) };
}

/** The files of a picked folder (`<input webkitdirectory>`). */
export const pickedFolder = (list: FileList) => [...list].map((file) => ({ file, path: file.webkitRelativePath || file.name }));

/** The files under folders dropped on the page (DataTransferItem entries, read recursively). */
export async function droppedFolder(items: DataTransferItemList): Promise<{ file: File; path: string }[]> {
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: `${prefix}${entry.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = [...items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  for (const entry of entries) await walk(entry, '');
  return out;
}
