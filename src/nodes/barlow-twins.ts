import { z } from 'zod';
import { between, tensor, type LocalProblem } from '../graph';
import barlowTwinsPython from './barlow-twins.py.ts';
import gatherPython from './gather.py.ts';
import { defineKind } from './kind';
import { barlowTwinsLoss } from './nn/decorrelation';
import { py } from './python';
import { twoViewProblems } from './two-views';

/**
 * Barlow Twins: "L_BT ≜ Σ_i (1 − C_ii)² + λ Σ_i Σ_{j≠i} C_ij² … where λ is a
 * positive constant trading off the importance of the first and second terms
 * of the loss, and where C is the cross-correlation matrix computed between
 * the outputs of the two identical networks along the batch dimension"
 * (Zbontar, Jing, Misra, LeCun & Deny 2021, Eq. 1–2, https://arxiv.org/abs/2103.03230).
 * Standardization and the choice of λ: docs/semantics.md (Barlow Twins).
 */
export const barlowTwins = defineKind({
  type: 'barlow-twins',
  title: 'Barlow Twins',
  group: 'Loss',
  doc: 'Barlow Twins (arxiv.org/abs/2103.03230): makes the two views’ cross-correlation matrix “as close to the identity matrix as possible”: invariance on its diagonal, redundancy reduction off it.',
  citation: 'Zbontar et al. 2021 (Barlow Twins) Eq. 1–2, arXiv 2103.03230',
  inputs: [{ key: 'embeddings', kind: 'features', label: 'z (2 views)', required: true }],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({
    /** λ: the paper's 5·10⁻³ (found at d = 8192); at d = 128 it is also near 1/d = 7.8·10⁻³, which weighs the d(d−1) off-diagonal terms like the d diagonal ones. */
    lambda: between(0, 1000).default(5e-3),
    weight: between(0, 1000).default(1),
  }),
  // no sides: decorrelation needs neither stop-gradient nor predictor (Barlow Twins §1: no "asymmetry between the network twins")
  traits: { loss: { output: 'loss' }, family: 'decorrelation' },
  infer: ({ params, inputs }) => {
    const problems: LocalProblem[] = twoViewProblems(inputs.embeddings, 'embeddings', 'Barlow Twins');
    if (params.lambda === 0) {
      problems.push({
        severity: 'warning', code: 'collapse-no-redundancy-reduction', param: 'lambda',
        message: 'λ = 0 drops the redundancy reduction term: every dimension may carry the same feature (C_ii = 1 still holds), likely to collapse dimensionally (Barlow Twins Eq. 1)',
      });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  pytorch: {
    python: [gatherPython, barlowTwinsPython],
    forward: ({ params, inputs }) => `${py(params.weight)} * barlow_twins_loss(${inputs.embeddings}, ${py(params.lambda)})`,
  },
  build: ({ tf, params }) => ({
    forward: ({ embeddings }) => ({ loss: tf.mul(barlowTwinsLoss(tf, embeddings, params.lambda), params.weight) }),
  }),
});
