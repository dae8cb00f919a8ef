/**
 * Training settings of a document. Defaults are the reference workload of
 * docs/semantics.md (SGD lr 0.06, momentum 0.9, weight decay 5e-4, cosine decay,
 * batch 256), which follows SimSiam's CIFAR recipe (Chen & He 2020, §B).
 */
import { z } from 'zod';
import { between, intBetween } from './params';

/** SGD as PyTorch's `torch.optim.SGD`: weight decay is an L2 term added to the gradient. */
const Sgd = z.strictObject({
  type: z.literal('sgd'),
  lr: between(0, 100).default(0.06),
  momentum: between(0, 0.9999).default(0.9),
  nesterov: z.boolean().default(false),
  weightDecay: between(0, 1).default(5e-4),
});

/**
 * LARS as BYOL uses it: "we use the LARS optimizer … excluding the biases and
 * batch normalization parameters from both LARS adaptation and weight decay"
 * (Grill et al. 2020, §3.3).
 */
const Lars = z.strictObject({
  type: z.literal('lars'),
  lr: between(0, 100).default(0.2),
  momentum: between(0, 0.9999).default(0.9),
  weightDecay: between(0, 1).default(1.5e-6),
  trustCoefficient: between(0, 1).default(1e-3),
  excludeBiasAndNorm: z.boolean().default(true),
});

/** Adam (Kingma & Ba 2015) with L2 decay, or AdamW (Loshchilov & Hutter 2019) with decoupled decay. */
const adamLike = <T extends 'adam' | 'adamw'>(type: T, weightDecay: number) =>
  z.strictObject({
    type: z.literal(type),
    lr: between(0, 100).default(1e-3),
    beta1: between(0, 0.9999).default(0.9),
    beta2: between(0, 0.99999).default(0.999),
    eps: between(0, 1).default(1e-8),
    weightDecay: between(0, 1).default(weightDecay),
  });

export const OptimizerSchema = z.discriminatedUnion('type', [Sgd, Lars, adamLike('adam', 0), adamLike('adamw', 0.01)]);

export const ScheduleSchema = z.strictObject({
  /** Linear warmup from 0 over this many steps. */
  warmupSteps: intBetween(0, 10_000_000).default(0),
  /** "cosine": lr·½(1 + cos(πk/K)) after warmup (SimSiam §3, BYOL §3.3). */
  decay: z.enum(['cosine', 'constant']).default('cosine'),
  /**
   * "we find it is beneficial to use a constant lr (without decay) for the
   * predictor" (Chen & He 2020, §4.4, Table 1 footnote).
   */
  predictorFixedLr: z.boolean().default(false),
});

export const EvaluationSchema = z.strictObject({
  /** Evaluate every N steps (0: only at the end). */
  everySteps: intBetween(0, 10_000_000).default(0),
  /** kNN monitor as in lightly's benchmarks: k = 200, temperature 0.1, cosine similarity. */
  k: intBetween(1, 10_000).default(200),
  temperature: between(1e-4, 100).default(0.1),
  /** Memory-bank and query sizes; 0 takes the whole split. */
  bankSize: intBetween(0, 10_000_000).default(0),
  querySize: intBetween(0, 10_000_000).default(0),
  /** Effective rank (RankMe) every N steps. */
  rankEverySteps: intBetween(1, 10_000_000).default(10),
});

export const TrainingSchema = z.strictObject({
  seed: intBetween(0, 2 ** 31 - 1).default(0),
  batchSize: intBetween(2, 65_536).default(256),
  steps: intBetween(1, 100_000_000).default(600),
  optimizer: OptimizerSchema.default({ type: 'sgd', lr: 0.06, momentum: 0.9, nesterov: false, weightDecay: 5e-4 }),
  schedule: ScheduleSchema.default({ warmupSteps: 0, decay: 'cosine', predictorFixedLr: false }),
  evaluation: EvaluationSchema.default({
    everySteps: 0, k: 200, temperature: 0.1, bankSize: 0, querySize: 0, rankEverySteps: 10,
  }),
});

export type TrainingSettings = z.output<typeof TrainingSchema>;
export type OptimizerSettings = z.output<typeof OptimizerSchema>;
