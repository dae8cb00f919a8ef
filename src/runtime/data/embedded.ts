/**
 * The embedded default dataset: Fashion-MNIST's 10k test split, shipped with
 * the app (public/data/fashion-mnist, with its licence) so that training works
 * offline on first launch. It serves as both the training images and the kNN
 * bank and queries.
 */
import { FASHION_MNIST_CLASSES, type Dataset } from './dataset';
import { DataError, readIdx } from './idx';

export async function loadEmbeddedFashionMnist(base: string): Promise<Dataset> {
  return embeddedFashionMnist(async (name) => {
    const url = `${base}data/fashion-mnist/${name}`;
    const response = await fetch(url);
    if (!response.ok) throw new DataError(`embedded dataset: ${url} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  });
}

/** The same dataset from its two files, read by `read` (Node's bench reads them from public/data/fashion-mnist). */
export async function embeddedFashionMnist(read: (name: string) => Promise<Uint8Array>): Promise<Dataset> {
  const get = async (name: string) => readIdx(await read(name), name);
  const [images, labels] = await Promise.all([get('t10k-images-idx3-ubyte.gz'), get('t10k-labels-idx1-ubyte.gz')]);
  const [count, height, width] = images.dims;
  const split = { images: images.data, labels: labels.data, count, height, width, channels: 1 };
  return { name: 'fashion-mnist (embedded 10k test split)', train: split, test: split, classes: 10, classNames: FASHION_MNIST_CLASSES };
}
