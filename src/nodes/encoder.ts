import { z } from 'zod';
import { assertNever, between, intBetween, tensor } from '../graph';
import { dimOf, type BuildContext } from './build';
import { encoderLayers } from './encoder-layers';
import { defineKind } from './kind';
import encoderPython from './encoder.py.ts';
import { py } from './python';
import { MODULE_ROLE, modulePorts, moduleResult, viewStack } from './module';
import { buildConvNet } from './nn/convnet';
import { buildResNet18, resnetWidths } from './nn/resnet';

/**
 * The small conv net of the reference workload: blocks of conv3×3 (no bias)
 * + BatchNorm + ReLU, then global average pooling.
 */
const ConvNet = z
  .strictObject({
    arch: z.literal('conv'),
    widths: z.array(intBetween(1, 4096)).min(1, 'must have at least 1 block').max(16, 'must have at most 16 blocks').default([32, 64, 128, 256]),
    strides: z.array(intBetween(1, 4)).min(1, 'must have at least 1 block').max(16, 'must have at most 16 blocks').default([1, 2, 2, 2]),
    batchNorm: z.boolean().default(true),
  })
  .refine((p) => p.widths.length === p.strides.length, { message: 'must have one stride per width', path: ['strides'] });

/**
 * ResNet-18 (He et al. 2016) in SimSiam's CIFAR variant: "the first layer is
 * a 3×3 conv with stride 1 and no max-pooling" (Chen & He 2020, §D), with
 * every stage's width scaled by `widthMultiplier`.
 */
const ResNet18 = z.strictObject({
  arch: z.literal('resnet18'),
  widthMultiplier: between(0.125, 4).default(1),
  cifarStem: z.boolean().default(true),
});

const EncoderParams = z.discriminatedUnion('arch', [ConvNet, ResNet18]);
export type EncoderParams = z.output<typeof EncoderParams>;

/** Channels of the last stage: the feature dimension. */
export function encoderWidth(p: EncoderParams): number {
  switch (p.arch) {
    case 'conv':
      return p.widths[p.widths.length - 1];
    case 'resnet18':
      return resnetWidths(p.widthMultiplier)[3];
    default:
      return assertNever(p, 'encoder arch');
  }
}

function summary(p: EncoderParams, channels: number | undefined): string {
  const on = channels === undefined ? '' : ` on ${channels} channel${channels === 1 ? '' : 's'}`;
  switch (p.arch) {
    case 'conv':
      return `conv ${p.widths.join('-')} (strides ${p.strides.join('-')})${on}`;
    case 'resnet18':
      return `ResNet-18 ×${p.widthMultiplier}${p.cifarStem ? ' (CIFAR stem)' : ''}${on}`;
    default:
      return assertNever(p, 'encoder arch');
  }
}

/** The Python expression that builds the module (the prelude's classes). */
function pythonModule(p: EncoderParams, channels: number): string {
  switch (p.arch) {
    case 'conv':
      return `ConvNet(in_channels=${py(channels)}, widths=${py(p.widths)}, strides=${py(p.strides)}, batch_norm=${py(p.batchNorm)})`;
    case 'resnet18':
      return `ResNet18(in_channels=${py(channels)}, width_multiplier=${py(p.widthMultiplier)}, cifar_stem=${py(p.cifarStem)})`;
    default:
      return assertNever(p, 'encoder arch');
  }
}

function buildNet(ctx: BuildContext<EncoderParams>, channels: number) {
  const { params } = ctx;
  switch (params.arch) {
    case 'conv':
      return buildConvNet(ctx, channels, params.widths, params.strides, params.batchNorm);
    case 'resnet18':
      return buildResNet18(ctx, channels, params.widthMultiplier, params.cifarStem);
    default:
      return assertNever(params, 'encoder arch');
  }
}

/**
 * f: the backbone. "The encoder f … is a ResNet … without the last fc layer"
 * — BYOL's f_θ / f_ξ and SimSiam's backbone (Grill et al. 2020, §3.3; Chen & He 2020, §3).
 */
export const encoder = defineKind({
  type: 'encoder',
  title: 'Encoder',
  group: 'Modules',
  doc: 'Backbone f: image views → feature vectors, the same weights on every view.',
  citation: 'Grill et al. 2020 (BYOL) §3.3; Chen & He 2020 (SimSiam) §3',
  ...modulePorts('views', 'features', 'images'),
  params: EncoderParams,
  defaultInput: { arch: 'conv' },
  traits: { module: MODULE_ROLE, encoder: true },
  infer: ({ params, inputs }) => {
    const { dims, problem } = viewStack(inputs.input, 5, 'image views V×B×H×W×C');
    const channels = dims ? Number(dims.dims[4]) : undefined;
    return moduleResult(
      {
        type: 'encoder',
        params,
        inputSize: channels,
        output: dims && tensor(dims.dims[0], dims.dims[1], encoderWidth(params)),
        summary: summary(params, channels),
        problems: problem ? [problem] : [],
      },
      inputs.weights,
    );
  },
  pytorch: {
    python: encoderPython,
    module: pythonModule,
    forward: ({ attr, inputs }) => `[self.${attr}(v) for v in ${inputs.input}]`,
  },
  layersModel: encoderLayers,
  build: (ctx) => {
    const { tf } = ctx;
    const channels = dimOf(ctx.inputs.input, 4);
    const net = buildNet(ctx, channels);
    return {
      forward: ({ input }, env) => {
        const [v, b, h, w, c] = input.shape;
        const features = net(tf, tf.reshape(input, [v * b, h, w, c]), v, env);
        return { output: tf.reshape(features, [v, b, -1]) };
      },
    };
  },
});
