/**
 * Learning-rate schedule: linear warmup over the first W steps, then cosine
 * decay "lr × 0.5 × [1 + cos(πk/K)]" (SimSiam §3; BYOL §3.3) over the rest, or
 * constant. Step k counts from 0; the lr of step k is the one its update uses.
 */
import { assertNever, type TrainingSettings } from '../graph';

export function learningRate(base: number, schedule: TrainingSettings['schedule'], step: number, totalSteps: number): number {
  const { warmupSteps, decay } = schedule;
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  switch (decay) {
    case 'constant':
      return base;
    case 'cosine': {
      const span = Math.max(1, totalSteps - warmupSteps);
      return base * 0.5 * (1 + Math.cos((Math.PI * Math.min(step - warmupSteps, span)) / span));
    }
    default:
      return assertNever(decay, 'lr decay');
  }
}
