/**
 * Optimizers over named variables, each with a role (weight, bias, norm), so
 * that weight decay and LARS adaptation can skip biases and norms.
 *
 * - SGD matches torch.optim.SGD: weight decay is L2 added to the gradient,
 *   buf ← μ·buf + g (buf starts at g), θ ← θ − lr·buf (Nesterov: g + μ·buf).
 * - LARS as BYOL uses it (You et al. 2017; Grill et al. 2020 §3.3): for
 *   weights, g ← η·‖θ‖/‖g + wd·θ‖ · (g + wd·θ) before momentum; biases and
 *   norms get plain momentum SGD without decay.
 * - Adam (Kingma & Ba 2015) with L2 decay; AdamW (Loshchilov & Hutter 2019)
 *   with decoupled decay θ ← θ − lr·wd·θ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertNever, type OptimizerSettings } from '../graph';
import type { ParamRole } from '../nodes/build';

export interface TrainableParam {
  /** "module.name" */
  key: string;
  module: string;
  variable: tf.Variable;
  role: ParamRole;
}

/** The slot tensors an optimizer keeps per parameter (checkpoints are checked against them). */
export function slotNames(settings: OptimizerSettings): string[] {
  switch (settings.type) {
    case 'sgd':
    case 'lars':
      return ['momentum'];
    case 'adam':
    case 'adamw':
      return ['exp_avg', 'exp_avg_sq'];
    default:
      return assertNever(settings, 'optimizer');
  }
}

export class Optimizer {
  /** Slot tensors per param key: momentum buffers, Adam moments. */
  private slots = new Map<string, Record<string, tf.Variable>>();
  private t = 0;

  constructor(readonly settings: OptimizerSettings) {}

  /** One update from gradients by param key ("module.name"); `lrFor(param)` gives each parameter's learning rate. */
  apply(params: readonly TrainableParam[], grads: Record<string, tf.Tensor>, lrFor: (p: TrainableParam) => number): void {
    this.t += 1;
    for (const p of params) {
      const g = grads[p.key];
      if (!g) continue;
      tf.tidy(() => this.update(p, g, lrFor(p)));
    }
  }

  private slot(p: TrainableParam, name: string, init: () => tf.Tensor): tf.Variable {
    const slots = (this.slots.get(p.key) ?? this.slots.set(p.key, {}).get(p.key))!;
    if (!slots[name]) {
      const initial = init();
      slots[name] = tf.variable(initial, false);
      initial.dispose();
    }
    return slots[name];
  }

  private update(p: TrainableParam, grad: tf.Tensor, lr: number) {
    const s = this.settings;
    const theta = p.variable;
    switch (s.type) {
      case 'sgd':
      case 'lars': {
        // SGD decays every parameter, as torch.optim.SGD with one param group; LARS only what it adapts.
        const adapt = s.type === 'lars' && (p.role === 'weight' || !s.excludeBiasAndNorm);
        const decay = s.weightDecay > 0 && (s.type === 'sgd' || adapt);
        let g = decay ? tf.add(grad, tf.mul(theta, s.weightDecay)) : grad;
        if (adapt) g = tf.mul(g, trustRatio(theta, g, (s as { trustCoefficient: number }).trustCoefficient));
        const fresh = !this.slots.get(p.key)?.momentum;
        const buf = this.slot(p, 'momentum', () => tf.zerosLike(theta));
        buf.assign(fresh ? g : tf.add(tf.mul(buf, s.momentum), g));
        const step = s.type === 'sgd' && s.nesterov ? tf.add(g, tf.mul(buf, s.momentum)) : buf;
        theta.assign(tf.sub(theta, tf.mul(step, lr)));
        return;
      }
      case 'adam':
      case 'adamw': {
        const g = s.type === 'adam' && s.weightDecay > 0 ? tf.add(grad, tf.mul(theta, s.weightDecay)) : grad;
        const m = this.slot(p, 'exp_avg', () => tf.zerosLike(theta));
        const v = this.slot(p, 'exp_avg_sq', () => tf.zerosLike(theta));
        m.assign(tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1)));
        v.assign(tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2)));
        const mHat = tf.div(m, 1 - s.beta1 ** this.t);
        const vHat = tf.div(v, 1 - s.beta2 ** this.t);
        let next = tf.sub(theta, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), s.eps)), lr));
        if (s.type === 'adamw' && s.weightDecay > 0) next = tf.sub(next, tf.mul(theta, lr * s.weightDecay));
        theta.assign(next);
        return;
      }
      default:
        assertNever(s, 'optimizer');
    }
  }

  /** Slot tensors by "key/slot", and the step count, for checkpoints. */
  state(): { step: number; tensors: Record<string, tf.Tensor> } {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [key, slots] of this.slots) for (const [name, t] of Object.entries(slots)) tensors[`${key}/${name}`] = t;
    return { step: this.t, tensors };
  }

  restore(state: { step: number; tensors: Record<string, tf.Tensor> }): void {
    this.dispose();
    this.t = state.step;
    for (const [path, t] of Object.entries(state.tensors)) {
      const cut = path.lastIndexOf('/');
      const key = path.slice(0, cut);
      const slots = (this.slots.get(key) ?? this.slots.set(key, {}).get(key))!;
      slots[path.slice(cut + 1)] = tf.variable(t, false);
    }
  }

  dispose(): void {
    for (const slots of this.slots.values()) for (const t of Object.values(slots)) t.dispose();
    this.slots.clear();
  }
}

/** η·‖θ‖/‖g‖, or 1 where either norm is zero. */
function trustRatio(theta: tf.Tensor, g: tf.Tensor, eta: number): tf.Tensor {
  const wn = tf.norm(theta);
  const gn = tf.norm(g);
  return tf.where(tf.logicalAnd(tf.greater(wn, 0), tf.greater(gn, 0)), tf.div(tf.mul(wn, eta), gn), tf.onesLike(wn));
}
