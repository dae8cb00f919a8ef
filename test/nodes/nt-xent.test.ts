/**
 * NT-Xent (SimCLR, src/nodes/nt-xent.ts and its .py): against closed forms
 * worked out by hand (V = 2 and V = 3) and a float64 loop over the
 * definition, in tfjs (float32) and in the exported Python (float64);
 * gradients against finite differences of the float64 definition (tfjs) and
 * torch.autograd.gradcheck (Python); validation without collapse warnings;
 * no tensor leak over training steps.
 */
import { readFileSync } from 'node:fs';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, type GraphDoc } from '../../src/graph';
import { validate } from '../../src/nodes';
import { Rng } from '../../src/nodes/nn/rng';
import { ntXent } from '../../src/nodes/nt-xent';
import { compile } from '../../src/runtime/program';
import { paramsOf, template, templateNames } from '../helpers/docs';
import { python } from '../helpers/python';
import { syntheticDataset, tfOn } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });

const U = 2 ** -24; // float32's unit roundoff
type Views = number[][][]; // [V][B][D]

/** The definition, in float64: anchors view-major; positives the sample's other views; denominator every other anchor. */
function definition(z: Views, tau: number): number {
  const [v, b] = [z.length, z[0].length];
  const unit = (x: number[]) => x.map((c) => c / Math.hypot(...x));
  const anchors = z.flatMap((view) => view.map(unit));
  const s = (i: number, k: number) => anchors[i].reduce((acc, c, d) => acc + c * anchors[k][d], 0) / tau;
  let total = 0;
  for (let i = 0; i < v * b; i++) {
    let denominator = 0;
    for (let k = 0; k < v * b; k++) if (k !== i) denominator += Math.exp(s(i, k));
    let sum = 0;
    for (let u = 0; u < v; u++) {
      const p = u * b + (i % b);
      if (p !== i) sum += -Math.log(Math.exp(s(i, p)) / denominator);
    }
    total += sum / (v - 1);
  }
  return total / (v * b);
}

const random = (v: number, b: number, d: number, seed: number): Views => {
  const rng = new Rng(seed);
  return Array.from({ length: v }, () => Array.from({ length: b }, () => Array.from({ length: d }, () => rng.normal())));
};
const lossOf = async (z: Views, tau: number) => {
  const t = tf.tensor3d(z);
  const l = ntXent(tf, t, tau);
  const value = (await l.data())[0];
  tf.dispose([t, l]);
  return value;
};

// V = 2, B = 2, D = 2; anchors a0 = v0s0, a1 = v0s1, a2 = v1s0, a3 = v1s1 (lengths differ: the loss normalizes).
// Unit vectors (1,0), (0,1), (1,1)/√2, (0,1): cosines c01 = c03 = 0, c02 = c12 = c23 = r = 1/√2, c13 = 1.
// ℓ0 = log(2 + e^{r/τ}) − r/τ; ℓ1 = ℓ3 = log(1 + e^{r/τ} + e^{1/τ}) − 1/τ; ℓ2 = log(3e^{r/τ}) − r/τ = log 3.
const TWO_VIEWS: Views = [[[2, 0], [0, 1]], [[1, 1], [0, 3]]];
const twoViews = (tau: number) => {
  const r = Math.SQRT1_2;
  return (Math.log(2 + Math.exp(r / tau)) - r / tau + 2 * (Math.log(1 + Math.exp(r / tau) + Math.exp(1 / tau)) - 1 / tau) + Math.log(3)) / 4;
};
// V = 3, B = 2, D = 2; anchors a0..a5 = v0s0, v0s1, v1s0, v1s1, v2s0, v2s1, as unit vectors
// (1,0), (0,1), (1,0), (0,1), (0,1), (−1,0). With E = e^{1/τ}, e = e^{−1/τ}, the denominators are
// a0, a2: 3 + E + e; a1, a3, a4: 3 + 2E; a5: 3 + 2e. Positive logits: a0..a3 have 1/τ and 0 (mean 1/2τ), a4, a5 0 and 0.
const THREE_VIEWS: Views = [[[2, 0], [0, 1]], [[1, 0], [0, 4]], [[0, 0.5], [-3, 0]]];
const threeViews = (tau: number) => {
  const [E, e] = [Math.exp(1 / tau), Math.exp(-1 / tau)];
  return (2 * Math.log(3 + E + e) + 3 * Math.log(3 + 2 * E) + Math.log(3 + 2 * e) - 4 / (2 * tau)) / 6;
};

describe('NT-Xent in tfjs (float32)', () => {
  // Each logit is a cosine (rounding ~D·u) over τ; a few dozen roundings of values ≤ 1/τ + log M reach the loss.
  const bound = (tau: number, m: number) => 64 * U * (1 / tau + Math.log(m));

  it.each([0.5, 0.1])('two views: the closed form worked by hand (τ = %s)', async (tau) => {
    expect(Math.abs(twoViews(tau) - definition(TWO_VIEWS, tau))).toBeLessThan(1e-12);
    expect(Math.abs((await lossOf(TWO_VIEWS, tau)) - twoViews(tau))).toBeLessThanOrEqual(bound(tau, 4));
  });

  it.each([0.5, 0.1])('three views: the closed form worked by hand, positives averaged (τ = %s)', async (tau) => {
    expect(Math.abs(threeViews(tau) - definition(THREE_VIEWS, tau))).toBeLessThan(1e-12);
    expect(Math.abs((await lossOf(THREE_VIEWS, tau)) - threeViews(tau))).toBeLessThanOrEqual(bound(tau, 6));
  });

  it.each([[2, 5, 4, 0.5], [3, 4, 6, 0.5], [2, 8, 3, 0.1]])('V=%i, B=%i, D=%i, τ=%s: the float64 definition on random embeddings', async (v, b, d, tau) => {
    const z = random(v, b, d, v * 100 + b);
    expect(Math.abs((await lossOf(z, tau)) - definition(z, tau))).toBeLessThanOrEqual(bound(tau, v * b));
  });

  it('is the mean over all V·B anchors: the same embeddings in another sample order give the same loss', async () => {
    const z = random(2, 6, 4, 9);
    const order = [3, 0, 5, 1, 4, 2];
    const shuffled = z.map((view) => order.map((i) => view[i]));
    expect(Math.abs((await lossOf(shuffled, 0.5)) - (await lossOf(z, 0.5)))).toBeLessThanOrEqual(bound(0.5, 12));
  });

  it.each([[2, 3, 4], [3, 2, 3]])('V=%i, B=%i, D=%i: every gradient equals central differences of the float64 definition', async (v, b, d) => {
    const z = random(v, b, d, 31 + v);
    const tau = 0.5;
    const zt = tf.tensor3d(z);
    const g = tf.grad((x: tfc.Tensor) => ntXent(tf, x, tau))(zt);
    const analytic = Array.from(await g.data());
    tf.dispose([zt, g]);
    const h = 1e-5;
    const numeric = analytic.map((_, flat) => {
      const [i, j, k] = [Math.floor(flat / (b * d)), Math.floor(flat / d) % b, flat % d];
      const moved = (delta: number) => z.map((view, a) => view.map((row, c) => row.map((x, e) => (a === i && c === j && e === k ? x + delta : x))));
      return (definition(moved(h), tau) - definition(moved(-h), tau)) / (2 * h);
    });
    const largest = Math.max(...numeric.map(Math.abs));
    expect(largest).toBeGreaterThan(1e-2); // a signal far above both errors
    // float32 gradient entries carry ~64u of the logits' scale 1/τ; the float64 differences are exact to ~1e-10 here
    numeric.forEach((n, i) => expect(Math.abs(n - analytic[i]), `∂L/∂z[${i}]: numeric ${n}, tfjs ${analytic[i]}`).toBeLessThanOrEqual(64 * U / tau + 1e-9));
  });
});

const ROOT = new URL('../..', import.meta.url).pathname;
const PIECES = ['src/nodes/gather.py', 'src/nodes/nt-xent.py'].map((f) => readFileSync(`${ROOT}${f}`, 'utf8')).join('\n\n');
const PYTHON_CHECK = String.raw`
import json, sys
import torch
job = json.load(sys.stdin)
exec(job['pieces'])
out = dict(losses=[], gradcheck=[])
for z, tau in job['cases']:
    out['losses'].append(nt_xent_loss(list(torch.tensor(z, dtype=torch.float64)), tau).item())
torch.manual_seed(0)
for v, b, d in [(2, 3, 4), (3, 2, 3)]:
    z = [torch.randn(b, d, dtype=torch.float64, requires_grad=True) for _ in range(v)]
    out['gradcheck'].append(torch.autograd.gradcheck(lambda *views: nt_xent_loss(list(views), 0.5), z, eps=1e-6, atol=1e-8, rtol=1e-6))
print(json.dumps(out))
`;

describe('NT-Xent in the exported Python (float64, one process)', () => {
  it('the closed forms, the definition on random embeddings, and gradcheck', async () => {
    const randoms: [Views, number][] = [[random(2, 5, 4, 205), 0.5], [random(3, 4, 6, 304), 0.5], [random(2, 8, 3, 208), 0.1]];
    const cases: [Views, number][] = [[TWO_VIEWS, 0.5], [TWO_VIEWS, 0.1], [THREE_VIEWS, 0.5], [THREE_VIEWS, 0.1], ...randoms];
    const out = await python<{ losses: number[]; gradcheck: boolean[] }>(PYTHON_CHECK, { pieces: PIECES, cases });
    const want = [twoViews(0.5), twoViews(0.1), threeViews(0.5), threeViews(0.1), ...randoms.map(([z, tau]) => definition(z, tau))];
    expect(out.losses).toHaveLength(want.length);
    out.losses.forEach((l, i) => expect(Math.abs(l - want[i]), `case ${i}: ${l} vs ${want[i]}`).toBeLessThan(1e-12));
    expect(out.gradcheck).toEqual([true, true]);
  }, 120_000);
});

describe('validation: a negatives loss needs neither stop-gradient nor predictor', () => {
  it('simclr and collapse-simclr-batch16 validate with no error and no warning', () => {
    for (const name of ['simclr', 'collapse-simclr-batch16']) {
      const v = validate(template(name));
      expect(v.problems, name).toEqual([]);
      expect(v.traits.get('loss')).toEqual({ loss: { output: 'loss' }, family: 'negatives' });
    }
  });

  it('simclr.json: the reference workload, a 256→512→128 head, no predictor, NT-Xent at τ 0.5; the batch-16 ablation differs in the batch only', () => {
    const doc = template('simclr');
    expect(doc.nodes.map((n) => n.type).sort()).toEqual(['augment', 'dataset', 'encoder', 'nt-xent', 'projector']);
    expect(validate(doc).shapes.get('proj')!.outputs.weights).toMatchObject({ summary: 'MLP 256→512→128' });
    expect(paramsOf(doc, 'proj')).toMatchObject({ layers: 2, hiddenDim: 512, outputDim: 128 });
    expect(paramsOf(doc, 'loss')).toEqual({ temperature: 0.5, weight: 1 });
    expect(doc.training.batchSize).toBe(256);
    expect(doc.description).toContain('arXiv 2002.05709');
    const small = template('collapse-simclr-batch16');
    expect(small.training.batchSize).toBe(16);
    expect({ ...small, name: doc.name, description: doc.description, training: { ...small.training, batchSize: 256 } }).toEqual(doc);
  });

  it('the same graph with the siamese loss on both sides gets both collapse warnings: they come from lossSides', () => {
    const doc = template('simclr');
    doc.nodes.find((n) => n.id === 'loss')!.type = 'loss';
    doc.nodes.find((n) => n.id === 'loss')!.params = { objective: 'negative-cosine', weight: 1 };
    doc.edges = doc.edges.filter((e) => e.to.node !== 'loss');
    for (const port of ['prediction', 'target']) doc.edges.push({ id: `w${port}`, from: { node: 'proj', port: 'output' }, to: { node: 'loss', port } });
    expect(validate(doc).problems.map((p) => p.code)).toEqual(['collapse-no-stop-gradient', 'collapse-no-predictor']);
  });

  it("the collapse lab's SimSiam/BYOL warnings are unchanged", () => {
    const codes = (name: string) => validate(template(name)).problems.map((p) => p.code);
    expect(codes('simsiam')).toEqual([]);
    expect(codes('byol')).toEqual([]);
    expect(codes('collapse-no-stop-gradient')).toEqual(['collapse-no-stop-gradient']);
    expect(codes('collapse-no-predictor')).toEqual(['collapse-no-predictor']);
    expect(codes('collapse-no-final-bn')).toEqual([]);
    expect(codes('collapse-no-final-bn-no-stop-gradient')).toEqual(['collapse-no-stop-gradient']);
    expect(templateNames).toEqual(expect.arrayContaining(['simclr', 'collapse-simclr-batch16']));
  });

  it('one view is an error at the loss: it has no positives', () => {
    const doc = template('simclr');
    (paramsOf(doc, 'aug').views as unknown[]).splice(1);
    const v = validate(doc);
    expect(v.ok).toBe(false);
    expect(v.problems.filter((p) => p.node === 'loss').map((p) => [p.severity, p.code, p.port, p.message])).toEqual([
      ['error', 'too-few-views', 'embeddings', "needs at least 2 views (each view's positives are its other views), got 1"],
    ]);
  });
});

/** The SimCLR template shrunk to tiny widths and 12×12 crops (as test/helpers/runtime's tiny). */
function tinySimclr(): GraphDoc {
  const doc = template('simclr');
  paramsOf(doc, 'aug').size = 12;
  doc.nodes.find((n) => n.id === 'enc')!.params = { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true };
  Object.assign(paramsOf(doc, 'proj'), { hiddenDim: 16, outputDim: 8 });
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

describe('training', () => {
  it('the tensor count is the same after step 3 and step 20 (wasm), and dispose frees everything', async () => {
    await tf.setBackend('wasm');
    try {
      const before = tf.memory().numTensors;
      const program = compile(tinySimclr(), { dataset: syntheticDataset(), batchSize: 8, steps: 20 });
      program.init(1);
      const counts: number[] = [];
      const losses: number[] = [];
      for (let i = 1; i <= 20; i++) {
        losses.push((await program.step()).loss);
        counts.push(tf.memory().numTensors);
      }
      expect(counts[19]).toBe(counts[2]);
      // 2·8 anchors: at init every logit is near 0 and the loss near log 15
      expect(Math.abs(losses[0] - Math.log(15))).toBeLessThan(0.5);
      losses.forEach((l) => expect(Number.isFinite(l)).toBe(true));
      program.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
