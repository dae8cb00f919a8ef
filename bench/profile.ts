/**
 * A kernel-by-kernel profile of one training step (tf.profile): where the
 * time of a step goes, by kernel name. Used by `npm run bench -- --profile`.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { TrainingProgram } from '../src/runtime/program';

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

export async function profileStep(tf: typeof tfc, program: TrainingProgram): Promise<KernelTime[]> {
  const byName = new Map<string, KernelTime>();
  const info = await tf.profile(async () => {
    await program.step();
  });
  // tfjs also records a custom-gradient op's whole forward as a kernel named "forward", around the kernels it runs: counting it would count them twice.
  for (const k of info.kernels.filter((kernel) => kernel.name !== 'forward')) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byName.set(k.name, entry);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}
