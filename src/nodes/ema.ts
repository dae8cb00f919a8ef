import { z } from 'zod';
import { assertNever, between } from '../graph';
import { defineKind } from './kind';
import { py } from './python';

/**
 * BYOL's target network: "the target network parameters ξ are an exponential
 * moving average of the online parameters θ … ξ ← τξ + (1 − τ)θ", with
 * "τ = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2 … τ_base = 0.996" (Grill et al.
 * 2020, §3.1, §3.3). The target starts as a copy of the online module.
 */
export const ema = defineKind({
  type: 'ema',
  title: 'EMA target',
  group: 'Gradient flow',
  doc: 'Makes a target module an exponential moving average of an online module (BYOL).',
  citation: 'Grill et al. 2020 (BYOL) §3.1, §3.3',
  inputs: [{ key: 'online', kind: 'weights', label: 'online weights', required: true }],
  outputs: [{ key: 'target', kind: 'weights', label: 'target weights' }],
  params: z.strictObject({
    tauBase: between(0, 1).default(0.996),
    /** "cosine": τ rises from τ_base to 1 over training; "constant": τ stays τ_base. */
    schedule: z.enum(['cosine', 'constant']).default('cosine'),
  }),
  traits: {},
  infer: ({ inputs }) => ({ outputs: inputs.online ? { target: inputs.online } : {} }),
  // weights only: the exporter lists EMA links and updates them after each optimizer step
  pytorch: { emaLink: ({ tauBase, schedule }) => `${py(tauBase)}, ${py(schedule)}` },
  emaTau: ({ tauBase, schedule }, k, total) => {
    switch (schedule) {
      case 'constant':
        return tauBase;
      case 'cosine':
        return 1 - (1 - tauBase) * (Math.cos((Math.PI * k) / total) + 1) / 2;
      default:
        return assertNever(schedule, 'EMA schedule');
    }
  },
});
