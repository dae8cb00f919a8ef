import { z } from 'zod';
import { between, tensor, type LocalProblem } from '../graph';
import gatherPython from './gather.py.ts';
import { defineKind } from './kind';
import { vicregLoss } from './nn/decorrelation';
import { py } from './python';
import { twoViewProblems } from './two-views';
import vicregPython from './vicreg.py.ts';

/**
 * VICReg: "ℓ(Z, Z′) = λ s(Z, Z′) + μ[v(Z) + v(Z′)] + ν[c(Z) + c(Z′)] … λ, μ
 * and ν are hyper-parameters controlling the importance of each term", with
 * the variance "hinge function on the standard deviation of the embeddings
 * along the batch dimension" v(Z) = (1/d) Σ_j max(0, γ − S(z^j, ε)),
 * S(x, ε) = √(Var(x) + ε), "γ … fixed to 1 in our experiments", and
 * "λ = μ = 25 and ν = 1 … ε = 0.0001" (Bardes, Ponce & LeCun 2022, Eq. 1–6,
 * https://arxiv.org/abs/2105.04906). The terms' normalization follows
 * its Algorithm 1: src/nodes/nn/decorrelation.ts.
 */
export const vicreg = defineKind({
  type: 'vicreg',
  title: 'VICReg',
  group: 'Loss',
  doc: 'VICReg (arxiv.org/abs/2105.04906): invariance (MSE between the views), a variance hinge keeping each dimension’s std ≥ γ, and a covariance term decorrelating the dimensions.',
  citation: 'Bardes, Ponce & LeCun 2022 (VICReg) Eq. 1–6, arXiv 2105.04906',
  inputs: [{ key: 'embeddings', kind: 'features', label: 'z (2 views)', required: true }],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({
    /** λ: the invariance term's weight. */
    lambda: between(0, 1000).default(25),
    /** μ: the variance term's. */
    mu: between(0, 1000).default(25),
    /** ν: the covariance term's. */
    nu: between(0, 1000).default(1),
    /** γ: the std each dimension is asked for. */
    gamma: between(0, 100).default(1),
    /** ε in S(x, ε) = √(Var(x) + ε). */
    eps: between(1e-12, 1).default(1e-4),
    weight: between(0, 1000).default(1),
  }),
  // no sides: decorrelation needs neither stop-gradient nor predictor ("no … weight sharing, batch normalization, feature-wise normalization, output quantization, stop gradient, memory banks", VICReg abstract)
  traits: { loss: { output: 'loss' }, family: 'decorrelation' },
  infer: ({ params, inputs }) => {
    const problems: LocalProblem[] = twoViewProblems(inputs.embeddings, 'embeddings', 'VICReg');
    if (params.mu === 0) {
      // without the hinge nothing bounds the scale: z → a constant makes s and c(Z) 0 as well
      const covariance = params.nu === 0 ? ' and the covariance term (ν = 0)' : '';
      problems.push({
        severity: 'warning', code: 'collapse-no-variance', param: 'mu',
        message: `μ = 0 drops the variance term${covariance}: nothing keeps the embeddings from shrinking to one point, where the other terms are 0 too: likely to collapse (VICReg, Bardes et al. 2022)`,
      });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  pytorch: {
    python: [gatherPython, vicregPython],
    forward: ({ params: k, inputs }) =>
      `${py(k.weight)} * vicreg_loss(${inputs.embeddings}, ${py(k.lambda)}, ${py(k.mu)}, ${py(k.nu)}, ${py(k.gamma)}, ${py(k.eps)})`,
  },
  build: ({ tf, params: k }) => ({
    forward: ({ embeddings }) => ({
      loss: tf.mul(vicregLoss(tf, embeddings, { invariance: k.lambda, variance: k.mu, covariance: k.nu, gamma: k.gamma, eps: k.eps }), k.weight),
    }),
  }),
});
