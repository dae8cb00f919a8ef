/**
 * The MLP heads: projector g and predictor q/h are both "Linear → BN → ReLU"
 * hidden layers and a final Linear, with an optional BatchNorm on the output.
 * One declaration, two kinds with their papers' defaults.
 */
import { z } from 'zod';
import { intBetween, tensor, type NodeTraits } from '../graph';
import { dimOf } from './build';
import { defineKind } from './kind';
import mlpPython from './mlp.py.ts';
import { py } from './python';
import { MODULE_ROLE, modulePorts, moduleResult, viewStack } from './module';
import { applyBatchNorm, applyLinear, batchNorm, linear } from './nn/layers';

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
    traits: { module: MODULE_ROLE, ...spec.traits },
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
    pytorch: {
      python: mlpPython,
      module: (p, input) =>
        `MLP(${py(input)}, hidden_dim=${py(p.hiddenDim)}, output_dim=${py(p.outputDim)}, layers=${py(p.layers)}, hidden_bn=${py(p.hiddenBatchNorm)}, last_bn=${py(p.lastBatchNorm)})`,
      forward: ({ attr, inputs }) => `[self.${attr}(v) for v in ${inputs.input}]`,
    },
    build: (ctx) => {
      const { tf, params } = ctx;
      const widths = mlpWidths(params, dimOf(ctx.inputs.input, 2));
      const layers = widths.slice(1).map((out, i) => {
        const last = i === params.layers - 1;
        const norm = last ? params.lastBatchNorm : params.hiddenBatchNorm ? 'affine' : 'none';
        return {
          // No bias where a BatchNorm follows: it would be cancelled by the mean.
          linear: linear(ctx, `layers.${i}.linear`, widths[i], out, norm === 'none'),
          bn: norm === 'none' ? undefined : batchNorm(ctx, `layers.${i}.bn`, out, norm === 'affine'),
          relu: !last,
        };
      });
      return {
        forward: ({ input }, env) => {
          let h = input;
          for (const layer of layers) {
            h = applyLinear(tf, layer.linear, h);
            if (layer.bn) h = applyBatchNorm(tf, layer.bn, h, h.shape[0], env, layer.relu);
            else if (layer.relu) h = tf.relu(h);
          }
          return { output: h };
        },
      };
    },
  });
}
