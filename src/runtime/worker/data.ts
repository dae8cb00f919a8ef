/**
 * The dataset a run trains on in the browser, from the document's dataset
 * node and what the user chose: the embedded Fashion-MNIST 10k, dataset files
 * from disk, or a folder of images.
 */
import type { GraphDoc } from '../../graph';
import { loadCifar10, loadFashionMnist, type Dataset } from '../data/dataset';
import { loadEmbeddedFashionMnist } from '../data/embedded';
import { decodeImageFolder } from '../data/image-folder';
import { DataError } from '../data/idx';
import type { DataInput } from './protocol';

export async function datasetFor(doc: GraphDoc, data: DataInput | undefined, base: string): Promise<{ dataset: Dataset; note?: string }> {
  const node = doc.nodes.find((n) => n.type === 'dataset');
  const params = (node?.params ?? {}) as { source?: string; size?: number; channels?: 1 | 3 };
  const source = params.source ?? 'embedded';
  const files = data?.kind === 'files' ? new Map(data.files.map((f) => [f.name, f.bytes])) : undefined;
  const read = async (name: string) => files?.get(name);
  if (source === 'image-folder') {
    if (data?.kind !== 'images') throw new DataError(`dataset "${node?.id}": its source is an image folder: choose one (Data → folder) before training`);
    const folder = await decodeImageFolder(data.files, params.size ?? 32, params.channels ?? 3);
    return { dataset: folder, note: folder.skipped.length ? `${folder.skipped.length} files could not be decoded (first: ${folder.skipped[0]})` : undefined };
  }
  if (source === 'cifar10') {
    if (!files) throw new DataError(`dataset "${node?.id}": CIFAR-10 is not embedded: choose its binary batches (data_batch_1..5.bin, test_batch.bin)`);
    return { dataset: await loadCifar10(read, 'chosen files') };
  }
  if (source === 'fashion-mnist' && files) return { dataset: await loadFashionMnist(read, 'chosen files') };
  const embedded = await loadEmbeddedFashionMnist(base);
  return { dataset: embedded, note: source === 'fashion-mnist' ? 'the embedded 10k test split (choose the IDX files for the full 60k train split)' : undefined };
}
