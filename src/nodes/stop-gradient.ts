import { z } from 'zod';
import { defineKind } from './kind';

/**
 * sg(·): "the encoder on x2 receives no gradient from z2 in the first term,
 * but it receives gradients from p2 in the second term" (Chen & He 2020,
 * SimSiam Eq. 3–4). Identity forward; no gradient flows back through it.
 */
export const stopGradient = defineKind({
  type: 'stop-gradient',
  title: 'Stop-gradient',
  group: 'Gradient flow',
  doc: 'Identity forward, no gradient backward: SimSiam’s key to not collapsing.',
  citation: 'Chen & He 2020 (SimSiam) §3, §4.1',
  inputs: [{ key: 'input', kind: 'features', label: 'features', required: true }],
  outputs: [{ key: 'output', kind: 'features', label: 'features (no grad)' }],
  params: z.strictObject({}),
  traits: { stopsGradient: true },
  infer: ({ inputs }) => ({ outputs: inputs.input ? { output: inputs.input } : {} }),
  pytorch: { forward: ({ inputs }) => `[v.detach() for v in ${inputs.input}]` },
  build: ({ tf }) => {
    // tfjs has no stop-gradient op: an identity whose gradient is zero. The
    // tape still visits it, but nothing upstream gets a non-zero gradient
    // through this path, and modules reached only through it get none.
    const stop = tf.customGrad((x) => ({ value: tf.clone(x as never), gradFunc: (dy) => tf.zerosLike(dy as never) }));
    return { forward: ({ input }) => ({ output: stop(input as never) }) };
  },
});
