/**
 * The decorrelation family's losses (src/nodes/nn/decorrelation.ts) on the
 * cpu backend: hand-computed values, a float64 reference on random inputs,
 * tfjs's gradients against central differences of that reference, and the
 * templates training with no tensor left behind.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, type GraphDoc } from '../../src/graph';
import { BARLOW_EPS, barlowTwinsLoss, vicregLoss, type VicregCoefficients } from '../../src/nodes/nn/decorrelation';
import { Rng } from '../../src/nodes/nn/rng';
import { compile } from '../../src/runtime/program';
import { template, wire } from '../helpers/docs';
import { syntheticDataset, tfOn, trainEnv } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });

const PAPER: VicregCoefficients = { invariance: 25, variance: 25, covariance: 1, gamma: 1, eps: 1e-4 };

type Matrix = number[][];
const column = (m: Matrix, j: number) => m.map((row) => row[j]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const centredColumns = (m: Matrix) => m[0].map((_, j) => { const c = column(m, j); const mu = mean(c); return c.map((x) => x - mu); });
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Barlow Twins in float64, written from Eq. 1–2 with our standardization. */
function barlowReference(a: Matrix, b: Matrix, lambda: number): number {
  const n = a.length;
  const standardized = (m: Matrix) => centredColumns(m).map((c) => { const s = Math.sqrt(dot(c, c) / n + BARLOW_EPS); return c.map((x) => x / s); });
  const [sa, sb] = [standardized(a), standardized(b)];
  let loss = 0;
  sa.forEach((ci, i) => sb.forEach((cj, j) => {
    const c = dot(ci, cj) / n;
    loss += i === j ? (1 - c) ** 2 : lambda * c * c;
  }));
  return loss;
}

/** VICReg in float64, written from Eq. 1–6 (normalized as Algorithm 1). */
function vicregReference(a: Matrix, b: Matrix, k: VicregCoefficients): number {
  const [n, d] = [a.length, a[0].length];
  const invariance = mean(a.flatMap((row, i) => row.map((x, j) => (x - b[i][j]) ** 2)));
  const regularizers = (m: Matrix) => {
    const cs = centredColumns(m);
    const variance = mean(cs.map((c) => Math.max(0, k.gamma - Math.sqrt(dot(c, c) / (n - 1) + k.eps))));
    let covariance = 0;
    cs.forEach((ci, i) => cs.forEach((cj, j) => { if (i !== j) covariance += (dot(ci, cj) / (n - 1)) ** 2; }));
    return k.variance * variance + k.covariance * covariance / d;
  };
  return k.invariance * invariance + regularizers(a) + regularizers(b);
}

const randomMatrix = (rng: Rng, n: number, d: number, scale = 1): Matrix =>
  Array.from({ length: n }, () => Array.from({ length: d }, () => scale * rng.normal()));
const views = (a: Matrix, b: Matrix) => tf.tensor3d([a, b]);
const value = async (t: tfc.Tensor) => { const v = (await t.data())[0]; t.dispose(); return v; };

describe('Barlow Twins', () => {
  it('equals the hand-computed value of a 2-sample, 2-dimension example (eps = 1e-5)', async () => {
    // B = 2: each standardized column is ±s, s = 1/√(1 + 4·eps/δ²) for its two values δ apart
    const a = [[1, 2], [3, 0]];
    const b = [[0, 5], [2, 1]];
    const s = 1 / Math.sqrt(1 + BARLOW_EPS); // δ = 2
    const t = 1 / Math.sqrt(1 + BARLOW_EPS / 4); // b's second column, δ = 4
    // C = [[s², −st], [−s², st]]
    const lambda = 0.5;
    const hand = (1 - s * s) ** 2 + (1 - s * t) ** 2 + lambda * ((s * t) ** 2 + s ** 4);
    expect(hand).toBeCloseTo(1, 4); // ≈ λ·(C₁₂² + C₂₁²) = 0.5·2
    expect(Math.abs(barlowReference(a, b, lambda) - hand)).toBeLessThan(1e-15);
    expect(Math.abs(await value(barlowTwinsLoss(tf, views(a, b), lambda)) - hand)).toBeLessThan(1e-6);
  });

  it('is 0 for identical, decorrelated views at any scale, and symmetric in the views', async () => {
    // columns ±1 patterns orthogonal over the batch: C = I (up to eps)
    const a = [[1, 1], [1, -1], [-1, 1], [-1, -1]].map((r) => r.map((x) => 7 * x + 3));
    expect(await value(barlowTwinsLoss(tf, views(a, a), 5e-3))).toBeLessThan(1e-9);
    const rng = new Rng(5);
    const [x, y] = [randomMatrix(rng, 8, 5), randomMatrix(rng, 8, 5)];
    expect(await value(barlowTwinsLoss(tf, views(x, y), 5e-3))).toBeCloseTo(await value(barlowTwinsLoss(tf, views(y, x), 5e-3)), 6);
  });

  it('matches the float64 reference on random embeddings (B = 16, D = 8), λ = 0 leaving only the diagonal', async () => {
    const rng = new Rng(9);
    for (const lambda of [5e-3, 0, 1]) {
      const [a, b] = [randomMatrix(rng, 16, 8, 3), randomMatrix(rng, 16, 8, 0.5)];
      const want = barlowReference(a, b, lambda);
      expect(Math.abs(await value(barlowTwinsLoss(tf, views(a, b), lambda)) - want), `λ ${lambda}`).toBeLessThan(1e-5 * Math.max(1, want));
    }
  });
});

describe('VICReg', () => {
  it('equals the hand-computed value of a 2-sample, 2-dimension example', async () => {
    const a = [[1, 2], [3, 0]];
    const b = [[0, 5], [2, 1]];
    // s = mean((a − b)²) = (1 + 9 + 1 + 1)/4 = 3; variances (1/(n−1)): a 2, 2; b 2, 8
    // γ = 2: v(a) = 2 − √2.0001, v(b) = (2 − √2.0001)/2; off-diagonal covariances −2 (a), −4 (b): c = 8/2, 32/2
    const k = { ...PAPER, gamma: 2 };
    const hand = 25 * 3 + 25 * 1.5 * (2 - Math.sqrt(2.0001)) + (4 + 16);
    expect(Math.abs(vicregReference(a, b, k) - hand)).toBeLessThan(1e-12);
    expect(Math.abs(await value(vicregLoss(tf, views(a, b), k)) - hand) / hand).toBeLessThan(1e-6);
    // γ = 1 (the paper's): every std is above it, the hinge is 0
    expect(Math.abs(await value(vicregLoss(tf, views(a, b), PAPER)) - (75 + 20)) / 95).toBeLessThan(1e-6);
  });

  it('a constant embedding costs μ·2(γ − √ε) (the hinge) with μ > 0, and nothing with μ = 0: why μ = 0 collapses', async () => {
    const c = Array.from({ length: 8 }, () => [0.3, -1, 2]);
    const hinge = 2 * (1 - Math.sqrt(PAPER.eps)); // both views, every dimension at std √ε
    expect(Math.abs(await value(vicregLoss(tf, views(c, c), PAPER)) - 25 * hinge)).toBeLessThan(1e-4);
    expect(await value(vicregLoss(tf, views(c, c), { ...PAPER, variance: 0 }))).toBeLessThan(1e-12);
  });

  it('matches the float64 reference on random embeddings (B = 16, D = 8) for several coefficient sets', async () => {
    const rng = new Rng(10);
    for (const k of [PAPER, { ...PAPER, variance: 0 }, { ...PAPER, covariance: 0 }, { ...PAPER, gamma: 3, eps: 1e-2 }]) {
      const [a, b] = [randomMatrix(rng, 16, 8, 1.5), randomMatrix(rng, 16, 8, 0.5)];
      const want = vicregReference(a, b, k);
      expect(Math.abs(await value(vicregLoss(tf, views(a, b), k)) - want), JSON.stringify(k)).toBeLessThan(1e-5 * Math.max(1, want));
    }
  });
});

describe('gradients against central differences of the float64 reference', () => {
  /**
   * h = 1e-5 on O(1) inputs: the float64 difference's truncation error is
   * ~h²·|f‴| ≈ 1e-10 and its rounding ~1e-16/h ≈ 1e-11, so the reference
   * gradient is exact to ~1e-9; tfjs's float32 gradient carries relative
   * rounding of ~B·D·2⁻²⁴ ≈ 1e-5 (sums over 128 products), times the
   * standardization's conditioning (columns of std ≥ 0.5 here): 1e-4 of the
   * largest gradient bounds it.
   */
  const check = async (loss: (z: tfc.Tensor) => tfc.Tensor, reference: (a: Matrix, b: Matrix) => number, a: Matrix, b: Matrix) => {
    const z = tf.variable(views(a, b));
    const { grads, value: v } = tf.variableGrads(() => loss(z) as tfc.Scalar, [z]);
    v.dispose();
    const g = await grads[z.name].data();
    tf.dispose([z, ...Object.values(grads)]);
    const h = 1e-5;
    const numeric: number[] = [];
    for (const [view, m] of [a, b].entries()) {
      for (let i = 0; i < m.length; i++) {
        for (let j = 0; j < m[0].length; j++) {
          const moved = (delta: number) => { const c = m.map((r) => [...r]); c[i][j] += delta; return view === 0 ? reference(c, b) : reference(a, c); };
          numeric.push((moved(h) - moved(-h)) / (2 * h));
        }
      }
    }
    const scale = Math.max(...numeric.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    const worst = Math.max(...numeric.map((x, i) => Math.abs(x - g[i])));
    expect(worst / scale).toBeLessThan(1e-4);
  };

  it('Barlow Twins (λ = 5e-3 and λ = 0.5)', async () => {
    const rng = new Rng(31);
    for (const lambda of [5e-3, 0.5]) {
      const [a, b] = [randomMatrix(rng, 8, 4), randomMatrix(rng, 8, 4)];
      await check((z) => barlowTwinsLoss(tf, z, lambda), (x, y) => barlowReference(x, y, lambda), a, b);
    }
  });

  it('VICReg (the paper\'s coefficients, with the hinge active on some dimensions)', async () => {
    const rng = new Rng(32);
    // std ≈ 0.6 and ≈ 1.5 per column: the hinge at γ = 1 is on for some, off for others
    const scaled = (m: Matrix) => m.map((r) => r.map((x, j) => x * (j % 2 ? 1.5 : 0.6)));
    const [a, b] = [scaled(randomMatrix(rng, 8, 4)), scaled(randomMatrix(rng, 8, 4))];
    await check((z) => vicregLoss(tf, z, PAPER), (x, y) => vicregReference(x, y, PAPER), a, b);
  });
});

/** A template at tiny widths and 12×12 crops (cpu steps in milliseconds), the graph as it is. */
function shrunk(name: string): GraphDoc {
  const doc = template(name);
  for (const n of doc.nodes) {
    if (n.type === 'augment') n.params.size = 12;
    if (n.type === 'encoder') n.params = { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true };
    if (n.type === 'projector') Object.assign(n.params, { hiddenDim: 16, outputDim: 8 });
  }
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

describe('the templates in the runtime', () => {
  it.each(['barlow-twins', 'vicreg'])('%s: 3 cpu steps with finite, changing losses and a flat tensor count', async (name) => {
    const program = compile(shrunk(name), { dataset: syntheticDataset(), batchSize: 8, steps: 3 });
    program.init();
    const counts: number[] = [];
    const losses: number[] = [];
    for (let k = 0; k < 3; k++) {
      losses.push((await program.step()).loss);
      counts.push(tf.memory().numTensors);
    }
    program.dispose();
    for (const l of losses) expect(Number.isFinite(l) && l > 0, `${losses}`).toBe(true);
    expect(new Set(losses).size).toBe(3);
    expect(new Set(counts).size, `${counts}`).toBe(1);
  });

  it("SimSiam + Barlow Twins + VICReg on one projector: the step's loss is the three nodes' outputs added", async () => {
    const doc = structuredClone(shrunk('simsiam'));
    for (const n of doc.nodes) if (n.type === 'predictor') Object.assign(n.params, { hiddenDim: 4, outputDim: 8 });
    doc.nodes.push(
      { id: 'bt', type: 'barlow-twins', label: 'Barlow Twins', params: { lambda: 5e-3, weight: 0.5 }, position: { x: 1500, y: 400 } },
      { id: 'vr', type: 'vicreg', label: 'VICReg', params: { lambda: 25, mu: 25, nu: 1, gamma: 1, eps: 1e-4, weight: 0.1 }, position: { x: 1500, y: 700 } },
    );
    wire(doc, 'e-bt', 'proj', 'output', 'bt', 'embeddings');
    wire(doc, 'e-vr', 'proj', 'output', 'vr', 'embeddings');
    const program = compile(doc, { dataset: syntheticDataset(), batchSize: 8, steps: 1 });
    program.init();
    const batch = program.nextBatch();
    const parts = tf.tidy(() => {
      const outputs = program.forward({ ...trainEnv(tf, 4), batch });
      return ['loss', 'bt', 'vr'].map((id) => tf.keep(outputs.get(id)!.loss));
    });
    const values = await Promise.all(parts.map(value));
    const { loss, ...rest } = program.backward(batch, new Rng(4));
    const total = await value(loss);
    tf.dispose([batch, rest.z, rest.features, ...Object.values(rest.grads), ...rest.pending.map(([, v]) => v)]);
    program.dispose();
    expect(values.every((v) => v !== 0)).toBe(true);
    expect(Math.abs(total - (values[0] + values[1] + values[2]))).toBeLessThan(1e-5 * Math.max(1, Math.abs(total)));
  });
});
