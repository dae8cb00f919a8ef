/**
 * A kernel-by-kernel profile of one training step (tf.profile): where the
 * time of a step goes, by kernel name, and how much arithmetic its
 * convolutions are. Used by `npm run bench` (the table with --profile).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { TrainingProgram } from '../src/runtime/program';

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

export interface StepProfile {
  /** By kernel name, the longest first. */
  kernels: KernelTime[];
  /** Floating-point operations (a multiply and an add each) of the step's convolutions, forward and both gradients: the same on every backend and in PyTorch. */
  convFlops: number;
  /** The time of those convolution kernels. */
  convMs: number;
}

type KernelInfo = Awaited<ReturnType<typeof tfc.profile>>['kernels'][number];
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Multiply-adds of a convolution kernel, from its shapes: each output pixel
 * of the forward convolution takes kh·kw·ci of them, and each gradient as many
 * per pixel of dy (padding's zero taps included, as every backend computes them).
 */
export function convMultiplyAdds(k: Pick<KernelInfo, 'name' | 'inputShapes' | 'outputShapes'>): number {
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [kh, kw, ci] = k.inputShapes[1];
      return numel(k.outputShapes[0]) * kh * kw * ci;
    }
    case 'Conv2DBackpropInput': { // inputs dy, filter
      const [kh, kw, ci] = k.inputShapes[1];
      return numel(k.inputShapes[0]) * kh * kw * ci;
    }
    case 'Conv2DBackpropFilter': { // inputs x, dy; output the filter's gradient
      const [kh, kw, ci] = k.outputShapes[0];
      return numel(k.inputShapes[1]) * kh * kw * ci;
    }
    default:
      return 0;
  }
}

export async function profileStep(tf: typeof tfc, program: TrainingProgram): Promise<StepProfile> {
  const byName = new Map<string, KernelTime>();
  let [convFlops, convMs] = [0, 0];
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
    const macs = convMultiplyAdds(k);
    if (macs) [convFlops, convMs] = [convFlops + 2 * macs, convMs + ms];
  }
  return { kernels: [...byName.values()].sort((a, b) => b.ms - a.ms), convFlops, convMs };
}
