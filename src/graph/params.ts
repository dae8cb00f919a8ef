/**
 * Building blocks for parameter declarations, so that every range reads the
 * same in the inspector, in error messages and in the JSON Schema.
 */
import { z } from 'zod';

/** A finite number in [min, max]. */
export const between = (min: number, max: number) => {
  const msg = `must be between ${min} and ${max}`;
  return z.number().min(min, msg).max(max, msg);
};

/** An integer in [min, max]. */
export const intBetween = (min: number, max: number) => {
  const msg = `must be an integer between ${min} and ${max}`;
  return z.number().int(msg).min(min, msg).max(max, msg);
};

/** A probability. */
export const probability = () => between(0, 1);

/** An ordered pair [lo, hi] within [min, max], e.g. a crop scale range. */
export const rangePair = (min: number, max: number) =>
  z
    .tuple([between(min, max), between(min, max)])
    .refine(([lo, hi]) => lo <= hi, { message: 'must be [low, high] with low ≤ high' });
