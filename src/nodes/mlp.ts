/**
 * The MLP heads: projector g and predictor q/h are both "Linear → BN → ReLU"
 * hidden layers and a final Linear, with an optional BatchNorm on the output.
 * One declaration, two kinds with their papers' defaults.
 */
import { z } from 'zod';
import { intBetween, tensor, type NodeTraits } from '../graph';
import { defineKind } from './kind';
import { modulePorts, moduleResult, viewStack } from './module';

export const mlpParams = (d: { hiddenDim: number; outputDim: number; layers: number; lastBatchNorm: LastBatchNorm }) =>
  z.strictObject({
    hiddenDim: intBetween(1, 65_536).default(d.hiddenDim),
    outputDim: intBetween(1, 65_536).default(d.outputDim),
    /** Linear layers, the output one included. */
    layers: intBetween(1, 8).default(d.layers),
    hiddenBatchNorm: z.boolean().default(true),
    /** BatchNorm on the output: SimSiam's projector ends in one without affine parameters. */
    lastBatchNorm: z.enum(['none', 'affine', 'non-affine']).default(d.lastBatchNorm),
  });

type LastBatchNorm = 'none' | 'affine' | 'non-affine';
export type MlpParams = z.output<ReturnType<typeof mlpParams>>;

/** Layer widths from input to output, e.g. [128, 512, 128]. */
export function mlpWidths(p: MlpParams, inputDim: number): number[] {
  return [inputDim, ...Array<number>(p.layers - 1).fill(p.hiddenDim), p.outputDim];
}

export function defineMlpKind(spec: {
  type: string;
  title: string;
  doc: string;
  citation: string;
  defaults: Parameters<typeof mlpParams>[0];
  traits?: NodeTraits;
}) {
  return defineKind({
    type: spec.type,
    title: spec.title,
    group: 'Modules',
    doc: spec.doc,
    citation: spec.citation,
    ...modulePorts('features', 'features', 'features'),
    params: mlpParams(spec.defaults),
    traits: { module: true, ...spec.traits },
    infer: ({ params, inputs }) => {
      const { dims, problem } = viewStack(inputs.input, 3, 'feature views V×B×D');
      const inputDim = dims ? Number(dims.dims[2]) : undefined;
      const widths = mlpWidths(params, inputDim ?? 0).map((w, i) => (i === 0 && inputDim === undefined ? '?' : w));
      const bn = params.lastBatchNorm === 'none' ? '' : `, ${params.lastBatchNorm === 'affine' ? '' : 'non-affine '}BN out`;
      return moduleResult(
        {
          type: spec.type,
          params,
          inputSize: inputDim,
          output: dims && tensor(dims.dims[0], dims.dims[1], params.outputDim),
          summary: `MLP ${widths.join('→')}${bn}`,
          problems: problem ? [problem] : [],
        },
        inputs.weights,
      );
    },
  });
}
