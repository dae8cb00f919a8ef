/** Images in memory as unsigned bytes, NHWC, with labels (used only by the kNN evaluation). */
import { DataError, readIdx, type IdxArray } from './idx';

export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface Dataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classes: number;
  /** Each label's name, where the data names them (the embedding view's legend). */
  classNames?: readonly string[];
}

/** The labels' names, as the datasets' authors list them. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** A file's bytes by name, or undefined when it is absent. */
export type FileSource = (name: string) => Promise<Uint8Array | undefined>;

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Fashion-MNIST from its four IDX files, each gzipped (`.gz`) or raw. */
export async function loadFashionMnist(read: FileSource, where: string): Promise<Dataset> {
  const file = async (base: string): Promise<{ name: string; idx: IdxArray }> => {
    for (const name of [`${base}.gz`, base]) {
      const bytes = await read(name);
      if (bytes) return { name, idx: await readIdx(bytes, `${where}/${name}`) };
    }
    throw new DataError(`fashion-mnist: missing ${base}(.gz) in ${where}`);
  };
  const split = async (imagesBase: string, labelsBase: string): Promise<ImageSet> => {
    const [img, lab] = await Promise.all([file(imagesBase), file(labelsBase)]);
    const [images, labels] = [img.idx, lab.idx];
    if (images.dims.length !== 3) throw new DataError(`${where}/${img.name}: expected images N×H×W, got ${images.dims.join('×')}`);
    if (labels.dims.length !== 1) throw new DataError(`${where}/${lab.name}: expected labels N, got ${labels.dims.join('×')}`);
    if (labels.dims[0] !== images.dims[0]) {
      throw new DataError(`${where}/${lab.name}: has ${labels.dims[0]} labels for ${images.dims[0]} images in ${img.name}`);
    }
    const [count, height, width] = images.dims;
    return { images: images.data, labels: labels.data, count, height, width, channels: 1 };
  };
  const f = FASHION_MNIST_FILES;
  const [train, test] = await Promise.all([split(f.trainImages, f.trainLabels), split(f.testImages, f.testLabels)]);
  return { name: 'fashion-mnist', train, test, classes: 10, classNames: FASHION_MNIST_CLASSES };
}

/**
 * CIFAR-10, binary version: records of 1 label byte + 3072 bytes (the red,
 * green and blue 32×32 planes), in data_batch_1..5.bin and test_batch.bin.
 */
export async function loadCifar10(read: FileSource, where: string): Promise<Dataset> {
  const batch = async (name: string): Promise<ImageSet> => {
    const bytes = await read(name);
    if (!bytes) throw new DataError(`cifar10: missing ${name} in ${where}`);
    const record = 3073;
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new DataError(`${where}/${name}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR-10 records`);
    }
    const count = bytes.length / record;
    const images = new Uint8Array(count * 3072);
    const labels = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      const r = n * record;
      labels[n] = bytes[r];
      if (labels[n] > 9) throw new DataError(`${where}/${name}: record ${n} has label ${labels[n]} (expected 0–9)`);
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[n * 3072 + p * 3 + c] = bytes[r + 1 + c * 1024 + p];
    }
    return { images, labels, count, height: 32, width: 32, channels: 3 };
  };
  const parts = await Promise.all([1, 2, 3, 4, 5].map((i) => batch(`data_batch_${i}.bin`)));
  return { name: 'cifar10', train: concat(parts), test: await batch('test_batch.bin'), classes: 10, classNames: CIFAR10_CLASSES };
}

function concat(sets: ImageSet[]): ImageSet {
  const count = sets.reduce((a, s) => a + s.count, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const s of sets) {
    images.set(s.images, n * 3072);
    labels.set(s.labels, n);
    n += s.count;
  }
  return { ...sets[0], images, labels, count };
}

/** The first n images of a set (n = 0 or ≥ count: all). */
export function head(set: ImageSet, n: number): ImageSet {
  if (n <= 0 || n >= set.count) return set;
  const per = set.height * set.width * set.channels;
  return { ...set, images: set.images.subarray(0, n * per), labels: set.labels.subarray(0, n), count: n };
}
