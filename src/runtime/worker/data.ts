/**
 * The dataset a run trains on in the browser, from the document's dataset
 * node and what the user chose: the embedded Fashion-MNIST 10k, dataset files
 * from disk, or a folder of images.
 */
import { assertNever, type GraphDoc } from '../../graph';
import { dataSourceOf } from '../../nodes/data-source';
import { loadCifar10, loadFashionMnist, type Dataset } from '../data/dataset';
import { loadEmbeddedFashionMnist } from '../data/embedded';
import { decodeImageFolder } from '../data/image-folder';
import { DataError } from '../data/idx';
import type { DataInput } from './protocol';

export async function datasetFor(doc: GraphDoc, data: DataInput | undefined, base: string): Promise<{ dataset: Dataset; note?: string }> {
  const found = dataSourceOf(doc);
  // A graph without a data source (or with invalid params there) previews on the embedded set.
  const source = found?.source ?? { source: 'embedded' as const };
  const files = data?.kind === 'files' ? new Map(data.files.map((f) => [f.name, f.bytes])) : undefined;
  const read = async (name: string) => files?.get(name);
  const embedded = async (note?: string) => ({ dataset: await loadEmbeddedFashionMnist(base), note });
  switch (source.source) {
    case 'image-folder': {
      if (data?.kind !== 'images') throw new DataError(`dataset "${found?.node}": its source is an image folder: choose one (Data → folder) before training`);
      const folder = await decodeImageFolder(data.files, source.size, source.channels);
      return { dataset: folder, note: folder.skipped.length ? `${folder.skipped.length} files could not be decoded (first: ${folder.skipped[0]})` : undefined };
    }
    case 'cifar10':
      if (!files) throw new DataError(`dataset "${found?.node}": CIFAR-10 is not embedded: choose its binary batches (data_batch_1..5.bin, test_batch.bin)`);
      return { dataset: await loadCifar10(read, 'chosen files') };
    case 'fashion-mnist':
      if (files) return { dataset: await loadFashionMnist(read, 'chosen files') };
      return embedded('the embedded 10k test split (choose the IDX files for the full 60k train split)');
    case 'embedded':
      return embedded();
    default:
      return assertNever(source, 'dataset source');
  }
}
