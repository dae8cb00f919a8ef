import { z } from 'zod';
import { assertNever, intBetween, tensor } from '../graph';
import { defineKind } from './kind';

/** Where images come from; labels are used only by the kNN evaluation. */
const DatasetParams = z.discriminatedUnion('source', [
  /** Fashion-MNIST (Xiao et al. 2017): 60k/10k 28×28 grayscale images, IDX files. */
  z.strictObject({ source: z.literal('fashion-mnist') }),
  /** CIFAR-10 (Krizhevsky 2009): 50k/10k 32×32 RGB images, binary version. */
  z.strictObject({ source: z.literal('cifar10') }),
  /** The Fashion-MNIST test split shipped with the app, so it trains offline. */
  z.strictObject({ source: z.literal('embedded') }),
  /** A folder of images, decoded and resized to size×size. */
  z.strictObject({
    source: z.literal('image-folder'),
    size: intBetween(8, 512).default(32),
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
  }),
]);
export type DatasetParams = z.output<typeof DatasetParams>;
/** What a data node asks the loaders for: a source and, for a folder, the size and channels its images become. */
export type DataSource = DatasetParams;

/** Height, width and channels of a source's images. */
function imageShape(p: DatasetParams): [number, number, number] {
  switch (p.source) {
    case 'cifar10':
      return [32, 32, 3];
    case 'image-folder':
      return [p.size, p.size, p.channels];
    case 'fashion-mnist':
    case 'embedded':
      return [28, 28, 1];
    default:
      return assertNever(p, 'dataset source');
  }
}

/** A batch of B images, as a one-view stack 1×B×H×W×C. */
export const dataset = defineKind({
  type: 'dataset',
  title: 'Dataset',
  group: 'Data',
  doc: 'A stream of unlabeled image batches (labels only feed the kNN evaluation).',
  citation: 'Xiao et al. 2017 (Fashion-MNIST); Krizhevsky 2009 (CIFAR-10)',
  inputs: [],
  outputs: [{ key: 'images', kind: 'images', label: 'images' }],
  params: DatasetParams,
  defaultInput: { source: 'fashion-mnist' },
  traits: { dataset: { output: 'images' } },
  infer: ({ params }) => ({ outputs: { images: tensor(1, 'B', ...imageShape(params)) } }),
  dataSource: (params) => params,
  build: () => ({ forward: (_, env) => ({ images: env.batch }) }),
  pytorch: {
    forward: ({ params }) => {
      if (params.source === 'image-folder') throw new Error('a dataset of source "image-folder" (export-pytorch reads Fashion-MNIST and CIFAR-10 files only)');
      return '[images]';
    },
  },
});
