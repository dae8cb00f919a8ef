import { z } from 'zod';
import { between, intBetween, probability, rangePair, tensor } from '../graph';
import { defineKind } from './kind';
import augmentPython from './augment.py.ts';
import { py } from './python';
import { augmentViews } from './nn/augment-ops';

/**
 * One view's augmentations, in BYOL's order and with its defaults: "random
 * cropping … resized to 224×224 …, optional left-right flip, …color
 * jittering … brightness, contrast, saturation and hue … grayscale …
 * Gaussian blurring … solarization" (Grill et al. 2020, §B, Table 6; view 1).
 * Colour ops are skipped on one-channel images.
 */
export const ViewAugmentSchema = z.strictObject({
  cropScale: rangePair(0.01, 1).default([0.08, 1]),
  cropRatio: rangePair(0.1, 10).default([3 / 4, 4 / 3]),
  flipP: probability().default(0.5),
  jitterP: probability().default(0.8),
  brightness: between(0, 1).default(0.4),
  contrast: between(0, 1).default(0.4),
  saturation: between(0, 1).default(0.2),
  hue: between(0, 0.5).default(0.1),
  grayscaleP: probability().default(0.2),
  blurP: probability().default(1.0),
  blurSigma: rangePair(0.01, 10).default([0.1, 2.0]),
  solarizeP: probability().default(0),
});

/** BYOL's two views differ: "blur 1.0 vs 0.1, solarization 0 vs 0.2" (Table 6). */
const byolViews = () => [ViewAugmentSchema.parse({}), ViewAugmentSchema.parse({ blurP: 0.1, solarizeP: 0.2 })];

const AugmentParams = z.strictObject({
  /** Output side: each view is a random resized crop to size×size. */
  size: intBetween(4, 1024).default(32),
  views: z.array(ViewAugmentSchema).min(1, 'must have at least 1 view').max(8, 'must have at most 8 views').default(byolViews),
});
export type AugmentParams = z.output<typeof AugmentParams>;

/** One batch in, V differently augmented views of it out. */
export const augment = defineKind({
  type: 'augment',
  title: 'Augment',
  group: 'Augment',
  doc: 'Turns a batch into V randomly augmented views, each view with its own settings.',
  citation: 'Grill et al. 2020 (BYOL) §B Table 6; Chen et al. 2020 (SimCLR) §3',
  inputs: [{ key: 'input', kind: 'images', label: 'images', required: true }],
  outputs: [{ key: 'views', kind: 'images', label: 'views' }],
  params: AugmentParams,
  traits: { augment: { input: 'input', output: 'views' } },
  infer: ({ params, inputs }) => {
    const input = inputs.input;
    if (!input || input.kind !== 'tensor') return { outputs: {} };
    if (input.dims.length !== 5 || input.dims[0] !== 1) {
      return {
        outputs: {},
        problems: [{ code: 'shape-mismatch', port: 'input', message: `takes one batch of images 1×B×H×W×C, got ${input.dims.join('×')}` }],
      };
    }
    const [, b, , , c] = input.dims;
    return { outputs: { views: tensor(params.views.length, b, params.size, params.size, c) } };
  },
  pytorch: {
    python: augmentPython,
    // `views` replaces the augmentations where given (the parity harness feeds fixed views).
    forward: ({ id, params, inputs }) => `views if views is not None else augment(${inputs.input}[0], AUGMENT[${py(id)}], ${py(params.size)}, gen)`,
  },
  build: ({ tf, params }) => ({
    forward: ({ input }, env) => ({ views: augmentViews(tf, tf.squeeze(input, [0]), params.size, params.views, env.rng) }),
  }),
});
