/**
 * What every module node (encoder, projector, predictor) shares: one tensor
 * input and output, applied with the same weights to every view ("modules are
 * siamese"), and a `weights` port on each side. A module whose `weights` input
 * is wired from an `ema` is that EMA's target: it must have the online
 * module's architecture, which its signature states.
 */
import { canonicalJson, WEIGHTS_PORT, type InferResult, type LocalProblem, type ModuleRole, type PortShape, type PortSpec } from '../graph';

/** The module role of these ports: applied from `input` to `output`. */
export const MODULE_ROLE: ModuleRole = { input: 'input', output: 'output' };

export const modulePorts = (inLabel: string, outLabel: string, inKind: 'images' | 'features') => ({
  inputs: [
    { key: 'input', kind: inKind, label: inLabel, required: true },
    { key: WEIGHTS_PORT, kind: 'weights', label: 'EMA weights (target)' },
  ] satisfies PortSpec[],
  outputs: [
    { key: 'output', kind: 'features', label: outLabel },
    { key: WEIGHTS_PORT, kind: 'weights', label: 'weights (online)' },
  ] satisfies PortSpec[],
});

export interface ModuleShape {
  type: string;
  params: unknown;
  /** What the architecture depends on from its input (channels or width), when known. */
  inputSize: number | undefined;
  /** The output shape, when the input is known. */
  output: PortShape | undefined;
  /** For people: "MLP 128→512→128". */
  summary: string;
  problems?: LocalProblem[];
}

export function moduleResult(m: ModuleShape, weightsIn: PortShape | undefined): InferResult {
  const weights: PortShape = {
    kind: 'weights',
    signature: `${m.type}|${canonicalJson(m.params)}|in=${m.inputSize ?? '?'}`,
    summary: m.summary,
  };
  const problems = [...(m.problems ?? [])];
  if (weightsIn?.kind === 'weights' && weightsIn.signature !== weights.signature) {
    problems.push({
      code: 'ema-architecture',
      port: WEIGHTS_PORT,
      message: `an EMA target must have its online module's architecture: online is ${weightsIn.summary}, this is ${m.summary}`,
    });
  }
  const outputs: Record<string, PortShape> = { [WEIGHTS_PORT]: weights };
  if (m.output) outputs.output = m.output;
  return { outputs, problems };
}

/** The view-stack input of a module as [V, B, ...rest], or a problem if it is not one of `rank`. */
export function viewStack(shape: PortShape | undefined, rank: number, what: string): { dims?: PortShape & { kind: 'tensor' }; problem?: LocalProblem } {
  if (!shape || shape.kind !== 'tensor') return {};
  if (shape.dims.length !== rank) {
    return { problem: { code: 'shape-mismatch', port: 'input', message: `expects ${what}, got ${shape.dims.join('×')}` } };
  }
  return { dims: shape };
}
