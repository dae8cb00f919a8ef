/** Optimizers and schedules against their closed forms, computed here in float64. */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerSchema, ScheduleSchema } from '../../src/graph';
import { catalog } from '../../src/nodes';
import { newVariable } from '../../src/runtime/modules';
import { Optimizer, type TrainableParam } from '../../src/runtime/optim';
import { learningRate } from '../../src/runtime/schedule';
import { tfOn } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });

/** Runs `steps` updates of one 3-vector parameter with fixed gradients; returns θ after each. */
async function run(settings: unknown, role: TrainableParam['role'], theta0: number[], grads: number[][], lr = 0.1) {
  const opt = new Optimizer(OptimizerSchema.parse(settings));
  const variable = newVariable(Float32Array.from(theta0), [3], true);
  const param: TrainableParam = { key: 'm.w', module: 'm', variable, role };
  const out: number[][] = [];
  for (const g of grads) {
    const grad = tf.tensor1d(g);
    opt.apply([param], { 'm.w': grad }, () => lr);
    grad.dispose();
    out.push(Array.from(await variable.data()));
  }
  opt.dispose();
  variable.dispose();
  return out;
}

const close = (a: number[][], b: number[][]) => a.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(b[i][j], 6)));
const G = [[0.5, -1, 2], [1, 0.25, -0.5], [-0.3, 0.8, 0.1]];
const T0 = [1, 2, -1];

describe('optimizers', () => {
  it('SGD with momentum and L2 weight decay matches torch.optim.SGD', async () => {
    const [mu, wd, lr] = [0.9, 0.01, 0.1];
    let theta = [...T0];
    let buf: number[] | undefined;
    const want: number[][] = [];
    for (const g of G) {
      const d = g.map((x, i) => x + wd * theta[i]);
      buf = buf ? buf.map((b, i) => mu * b + d[i]) : d;
      theta = theta.map((t, i) => t - lr * buf![i]);
      want.push(theta);
    }
    close(await run({ type: 'sgd', lr, momentum: mu, weightDecay: wd }, 'norm', T0, G, lr), want);
  });

  it('Nesterov SGD', async () => {
    const [mu, lr] = [0.9, 0.1];
    let theta = [...T0];
    let buf: number[] | undefined;
    const want: number[][] = [];
    for (const g of G) {
      buf = buf ? buf.map((b, i) => mu * b + g[i]) : [...g];
      theta = theta.map((t, i) => t - lr * (g[i] + mu * buf![i]));
      want.push(theta);
    }
    close(await run({ type: 'sgd', lr, momentum: mu, weightDecay: 0, nesterov: true }, 'weight', T0, G, lr), want);
  });

  it('LARS adapts weights by η‖θ‖/‖g + wd·θ‖ and leaves biases and norms to plain momentum', async () => {
    const [mu, wd, eta, lr] = [0.9, 0.1, 0.001, 0.1];
    const norm = (v: number[]) => Math.hypot(...v);
    const expected = (adapt: boolean) => {
      let theta = [...T0];
      let buf: number[] | undefined;
      return G.map((g) => {
        let d = adapt ? g.map((x, i) => x + wd * theta[i]) : [...g];
        if (adapt) d = d.map((x) => x * (eta * norm(theta)) / norm(d.map((y) => y)));
        buf = buf ? buf.map((b, i) => mu * b + d[i]) : d;
        theta = theta.map((t, i) => t - lr * buf![i]);
        return theta;
      });
    };
    const settings = { type: 'lars', lr, momentum: mu, weightDecay: wd, trustCoefficient: eta };
    close(await run(settings, 'weight', T0, G, lr), expected(true));
    close(await run(settings, 'bias', T0, G, lr), expected(false));
  });

  it.each(['adam', 'adamw'] as const)('%s', async (type) => {
    const [b1, b2, eps, wd, lr] = [0.9, 0.999, 1e-8, 0.1, 0.1];
    let theta = [...T0];
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    const want = G.map((g0, k) => {
      const g = type === 'adam' ? g0.map((x, i) => x + wd * theta[i]) : g0;
      m = m.map((x, i) => b1 * x + (1 - b1) * g[i]);
      v = v.map((x, i) => b2 * x + (1 - b2) * g[i] ** 2);
      const t = k + 1;
      theta = theta.map((x, i) => x - lr * (m[i] / (1 - b1 ** t)) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps) - (type === 'adamw' ? lr * wd * x : 0));
      return theta;
    });
    close(await run({ type, lr, weightDecay: wd }, 'weight', T0, G, lr), want);
  });
});

describe('schedules', () => {
  it('cosine decay after linear warmup', () => {
    const s = ScheduleSchema.parse({ warmupSteps: 10, decay: 'cosine' });
    expect(learningRate(0.5, s, 0, 110)).toBeCloseTo(0.05, 12);
    expect(learningRate(0.5, s, 9, 110)).toBeCloseTo(0.5, 12);
    expect(learningRate(0.5, s, 10, 110)).toBeCloseTo(0.5, 12);
    expect(learningRate(0.5, s, 60, 110)).toBeCloseTo(0.25, 12);
    expect(learningRate(0.5, s, 35, 110)).toBeCloseTo(0.5 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(0.5, ScheduleSchema.parse({ decay: 'constant' }), 77, 110)).toBe(0.5);
  });

  it('BYOL τ: 1 − (1 − τ_base)(cos(πk/K) + 1)/2, or constant', () => {
    const ema = catalog.get('ema')!;
    expect(ema.emaTau!({ tauBase: 0.99, schedule: 'cosine' }, 0, 100)).toBeCloseTo(0.99, 14);
    expect(ema.emaTau!({ tauBase: 0.99, schedule: 'cosine' }, 50, 100)).toBeCloseTo(0.995, 14);
    expect(ema.emaTau!({ tauBase: 0.99, schedule: 'cosine' }, 100, 100)).toBeCloseTo(1, 14);
    expect(ema.emaTau!({ tauBase: 0.996, schedule: 'constant' }, 50, 100)).toBe(0.996);
  });
});
