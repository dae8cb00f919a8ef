/**
 * The parameters a module node declares and their roles (weight, bias, norm),
 * known without tfjs: the kind's build run with a context that records each
 * `ctx.param` call and creates nothing. The PyTorch exporter groups the
 * script's optimizer by them, so the roles a kind declares decide weight decay
 * and LARS in both runtimes (never a rule of thumb such as "ndim ≤ 1").
 */
import type { PortShape } from '../graph';
import type { ParamRole, Tf, Variable } from './build';
import type { NodeKind } from './kind';
import { Rng } from './nn/rng';

export interface DeclaredParam {
  /** Its name in the module ("layers.0.weight"), the same in a PyTorch state dict. */
  name: string;
  shape: number[];
  role: ParamRole;
}

/** What `kind`'s build declares for a node with these params and input shapes (tensors are only made in forward, never here). */
export function declaredParams<P>(kind: NodeKind<P>, id: string, params: P, inputs: Readonly<Record<string, PortShape>>): DeclaredParam[] {
  const declared: DeclaredParam[] = [];
  // a build may only declare here: tf and what it returns are used in forward, which this never calls
  const unused = (what: string) => new Proxy({}, {
    get: (_, key) => {
      throw new Error(`node "${id}" (${kind.type}): its build used ${what}.${String(key)} while declaring its parameters; use tensors only in forward`);
    },
  });
  kind.build?.({
    tf: unused('tf') as Tf, id, params, inputs, rng: new Rng(0), state: {},
    param: (name, shape, role) => {
      declared.push({ name, shape: [...shape], role });
      return unused(`parameter ${name}`) as Variable;
    },
    buffer: (name) => unused(`buffer ${name}`) as Variable,
  });
  return declared;
}
