import { z } from 'zod';
import { between, formatShape, tensor, type LocalProblem } from '../graph';
import { defineKind } from './kind';
import lossPython from './loss.py.ts';
import { py } from './python';
import { siameseLoss } from './nn/losses';

/**
 * negative-cosine: "D(p1, z2) = − p1/‖p1‖₂ · z2/‖z2‖₂" (Chen & He 2020, SimSiam Eq. 1).
 * normalized-l2: "‖q̄θ(zθ) − z̄′ξ‖²₂ = 2 − 2·⟨qθ(zθ), z′ξ⟩ / (‖qθ(zθ)‖₂·‖z′ξ‖₂)"
 * (Grill et al. 2020, BYOL Eq. 2).
 * Both are symmetrized as the mean over ordered view pairs i ≠ j of D(p_i, z_j);
 * several loss nodes add up, each times its weight.
 */
export const loss = defineKind({
  type: 'loss',
  title: 'Loss',
  group: 'Loss',
  doc: 'Compares predictions with targets across views: SimSiam’s negative cosine or BYOL’s normalized L2.',
  citation: 'Chen & He 2020 (SimSiam) Eq. 1–2; Grill et al. 2020 (BYOL) Eq. 2',
  inputs: [
    { key: 'prediction', kind: 'features', label: 'prediction p', required: true },
    { key: 'target', kind: 'features', label: 'target z', required: true },
  ],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({
    objective: z.enum(['negative-cosine', 'normalized-l2']).default('negative-cosine'),
    weight: between(0, 1000).default(1),
  }),
  traits: { loss: { output: 'loss' }, lossSides: { prediction: 'prediction', target: 'target' }, family: 'asymmetry' },
  infer: ({ inputs }) => {
    const { prediction: p, target: z } = inputs;
    const problems: LocalProblem[] = [];
    if (p?.kind === 'tensor' && z?.kind === 'tensor') {
      if (p.dims.length !== z.dims.length || p.dims.some((d, i) => d !== z.dims[i])) {
        problems.push({ code: 'shape-mismatch', port: 'target', message: `prediction is ${formatShape(p)} but target is ${formatShape(z)}: they must match` });
      }
    }
    const views = p?.kind === 'tensor' ? p.dims[0] : undefined;
    if (typeof views === 'number' && views < 2) {
      problems.push({ code: 'too-few-views', port: 'prediction', message: `needs at least 2 views to compare across views, got ${views}` });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  pytorch: {
    python: lossPython,
    forward: ({ params, inputs }) => `${py(params.weight)} * siamese_loss(${inputs.prediction}, ${inputs.target}, ${py(params.objective)})`,
  },
  build: ({ tf, params }) => ({
    forward: ({ prediction, target }) => ({ loss: tf.mul(siameseLoss(tf, params.objective, prediction, target), params.weight) }),
  }),
});
