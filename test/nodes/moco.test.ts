/**
 * MoCo v2's kinds: InfoNCE against a queue (a hand-computed value, a float64
 * reference, finite differences) and the queue (training state: after k
 * steps the last K keys in order), and the validator's rules for a loss
 * against negatives.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, warningsOf, type GraphDoc } from '../../src/graph';
import { validate } from '../../src/nodes';
import { infoNce } from '../../src/nodes/info-nce';
import { Rng } from '../../src/nodes/nn/rng';
import { compile } from '../../src/runtime/program';
import { paramsOf, template } from '../helpers/docs';
import { syntheticDataset, tfOn } from '../helpers/runtime';

let tf: typeof tfc;
beforeAll(async () => {
  tf = await tfOn('cpu');
});

type Stack = number[][][]; // [view][image][dim]
const normalize = (x: number[]) => {
  const n = Math.max(Math.hypot(...x), 1e-12);
  return x.map((v) => v / n);
};
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** MoCo Eq. 1 in float64, written out: mean over images and ordered view pairs i ≠ j of −log softmax of the positive. */
function reference(q: Stack, k: Stack, queue: number[][], t: number): number {
  const negatives = queue.map(normalize);
  let total = 0;
  let count = 0;
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < q.length; j++) {
      if (i === j) continue;
      for (let b = 0; b < q[i].length; b++) {
        const qi = normalize(q[i][b]);
        const positive = dot(qi, normalize(k[j][b])) / t;
        const all = [positive, ...negatives.map((n) => dot(qi, n) / t)];
        const max = Math.max(...all);
        total += max + Math.log(all.reduce((s, x) => s + Math.exp(x - max), 0)) - positive;
        count++;
      }
    }
  }
  return total / count;
}

const random = (rng: Rng, ...shape: number[]): any => (shape.length === 1 ? Array.from({ length: shape[0] }, () => rng.normal()) : Array.from({ length: shape[0] }, () => random(rng, ...shape.slice(1))));
const ours = (q: Stack, k: Stack, queue: number[][], t: number) => tf.tidy(() => infoNce(tf, tf.tensor(q), tf.tensor(k), tf.tensor(queue), t).dataSync()[0]);

describe('InfoNCE against a queue', () => {
  it('equals a value computed by hand', () => {
    // 2 views of 1 image in 2-d; q₁ = k₁ = e₁, q₂ = k₂ = e₂ (q·k₊ = 0 both ways); queue [e₁, −e₁] (norms 3 and 0.5: normalized away)
    // L(q₁, k₂) = log(e⁰ + e⁵ + e⁻⁵), L(q₂, k₁) = log(e⁰ + e⁰ + e⁰) at τ = 0.2
    const hand = (Math.log(1 + Math.exp(5) + Math.exp(-5)) + Math.log(3)) / 2;
    expect(hand).toBeCloseTo(3.0527, 4); // (5.00677 + 1.09861) / 2
    const q = [[[2, 0]], [[0, 1]]];
    const got = ours(q, q, [[3, 0], [-0.5, 0]], 0.2);
    // float32: logits up to 1/τ = 5, a handful of roundings of 2⁻²⁴ relative each: 1e-5 is ~30× that
    expect(Math.abs(got - hand)).toBeLessThan(1e-5);
  });

  it('equals its float64 reference on random inputs (3 views, 5 images, 8-d, a queue of 7)', () => {
    const rng = new Rng(11);
    for (const t of [0.2, 0.07, 1]) {
      const q = random(rng, 3, 5, 8), k = random(rng, 3, 5, 8), queue = random(rng, 7, 8);
      const want = reference(q, k, queue, t);
      // |logit| ≤ 1/τ (14 at τ 0.07): float32 rounding of ~d + K terms each, relative 2⁻²⁴: below 1e-5·(1/τ)
      expect(Math.abs(ours(q, k, queue, t) - want)).toBeLessThan(1e-5 / t);
    }
  });

  it('has the gradient of its float64 reference (central differences) in the queries and the keys', () => {
    const rng = new Rng(5);
    const q: Stack = random(rng, 2, 3, 4), k: Stack = random(rng, 2, 3, 4), queue = random(rng, 6, 4);
    const t = 0.2;
    const [gq, gk] = tf.tidy(() => tf.grads((a: tfc.Tensor, b: tfc.Tensor) => infoNce(tf, a, b, tf.tensor(queue), t))([tf.tensor(q), tf.tensor(k)]).map((g) => g.arraySync() as Stack));
    const h = 1e-6;
    let worst = 0;
    for (const [x, g] of [[q, gq], [k, gk]] as const) {
      for (let v = 0; v < 2; v++) for (let b = 0; b < 3; b++) for (let d = 0; d < 4; d++) {
        const keep = x[v][b][d];
        x[v][b][d] = keep + h;
        const up = reference(q, k, queue, t);
        x[v][b][d] = keep - h;
        const down = reference(q, k, queue, t);
        x[v][b][d] = keep;
        worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g[v][b][d]));
      }
    }
    // float64 differences are good to ~1e-9; the float32 gradient (entries ~0.1–1) to ~1e-6
    expect(worst).toBeLessThan(1e-5);
    expect(worst).toBeGreaterThan(0);
  });
});

/** moco-v2 at tiny widths: 12×12 crops, encoder 4, 8, heads 16 → 8, a queue of K. */
function tinyMoco(size = 20, batch = 8): GraphDoc {
  const doc = template('moco-v2');
  const v = validate(doc);
  for (const n of doc.nodes) {
    const t = v.traits.get(n.id)!;
    if (t.augment) n.params.size = 12;
    if (t.encoder) n.params = { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true };
    else if (t.module) Object.assign(n.params, { hiddenDim: 16, outputDim: 8 });
    if (t.memory) n.params.size = size;
  }
  doc.training.batchSize = batch;
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

describe('the queue (training state)', () => {
  it('after k steps holds the last K keys in order: the last K rows of [initial; keys₁; …; keys_k], view 0, normalized', async () => {
    const K = 20, B = 8;
    const program = compile(tinyMoco(K, B), { dataset: syntheticDataset(), batchSize: B, steps: 5 });
    try {
      program.init(0);
      const queue = program.trainingState().get('queue.keys')!;
      expect(queue.shape).toEqual([K, 8]);
      const initial = queue.arraySync() as number[][];
      initial.forEach((row) => expect(Math.hypot(...row)).toBeCloseTo(1, 6));
      // each step's keys fixed by replacing the stop-gradient's output (the key side) with random ones
      const rng = new Rng(9);
      const rows = [...initial];
      for (let k = 1; k <= 4; k++) {
        const keys: Stack = random(rng, 2, B, 8);
        const x = tf.tensor(keys);
        await program.step(new Map([['sg', { output: x }]]));
        x.dispose();
        rows.push(...keys[0].map(normalize));
        const want = rows.slice(-K);
        const got = queue.arraySync() as number[][];
        let worst = 0;
        got.forEach((row, r) => row.forEach((value, d) => { worst = Math.max(worst, Math.abs(value - want[r][d])); }));
        expect(worst, `after step ${k}`).toBeLessThan(1e-6);
        // the dashboard's figure: how many of those rows are this run's keys (8, 16, then full at 20)
        const fromRun = want.filter((row) => !initial.includes(row)).length;
        expect(fromRun).toBe(Math.min(K, k * B));
        expect(program.stateFigures(), `after step ${k}`).toEqual([{ node: 'queue', label: 'queue', value: fromRun, of: K, unit: 'keys from this run', rest: 'the initial random unit vectors' }]);
      }
    } finally {
      program.dispose();
    }
  });

  it('keeps the tensor count flat from step 3 to step 20', async () => {
    const program = compile(tinyMoco(), { dataset: syntheticDataset(), batchSize: 8, steps: 20 });
    try {
      program.init(0);
      for (let k = 1; k <= 3; k++) await program.step();
      const at3 = tf.memory().numTensors;
      for (let k = 4; k <= 20; k++) await program.step();
      expect(tf.memory().numTensors).toBe(at3);
    } finally {
      program.dispose();
    }
  }, 60_000);
});

describe('validation of a loss against negatives', () => {
  const codes = (doc: GraphDoc) => validate(doc).problems.map((p) => `${p.severity} ${p.code}`);
  const retarget = (doc: GraphDoc, edge: string, node: string, port: string) => {
    doc.edges.find((e) => e.id === edge)!.from = { node, port };
    return doc;
  };

  it('moco-v2 and its m = 0 ablation validate without a warning (no stop-gradient/predictor warning for negatives)', () => {
    expect(codes(template('moco-v2'))).toEqual([]);
    expect(codes(template('collapse-moco-m0'))).toEqual([]);
  });

  it('keys from the trained side: an error with MoCo\'s reason', () => {
    const doc = retarget(template('moco-v2'), 'e8', 'proj', 'output');
    const problems = validate(doc).problems;
    expect(problems.map((p) => `${p.severity} ${p.code}`)).toContain('error key-side-gradient');
    expect(problems.find((p) => p.code === 'key-side-gradient')!.message).toBe(
      'the key side of loss "loss" trains "proj" by gradients: keys come from a momentum (EMA) encoder and get no gradient (MoCo §3.2) — put an EMA target and a stop-gradient on the key side');
    expect(warningsOf(problems)).toEqual([]);
  });

  it('a queue not fed by the key side: an error naming what feeds it', () => {
    const doc = retarget(template('moco-v2'), 'e9', 'proj', 'output');
    const p = validate(doc).problems.find((x) => x.code === 'memory-not-fed-by-keys')!;
    expect(p.severity).toBe('error');
    expect(p.message).toBe('the negatives of loss "loss" come from "queue", fed by "proj".output, not by its key side "sg".output: a queue holds earlier keys (MoCo §3.1)');
    // the queue passes no gradient: the query side feeding it trains nothing through it
    expect(codes(doc).filter((c) => c !== 'error memory-not-fed-by-keys')).toEqual([]);
  });

  it('negatives that are not a memory of keys: an error', () => {
    const doc = retarget(template('moco-v2'), 'e10', 'sg', 'output');
    expect(codes(doc)).toContain('error memory-not-fed-by-keys');
  });

  it('a queue shorter than the batch: an error on its size', () => {
    const doc = template('moco-v2');
    paramsOf(doc, 'queue').size = 255;
    const p = validate(doc).problems.find((x) => x.code === 'queue-shorter-than-batch')!;
    expect(p).toMatchObject({ severity: 'error', path: 'nodes[9].params.size', node: 'queue', param: 'size' });
    expect(p.message).toBe("a queue of 255 keys is shorter than the batch (256): every step enqueues a whole batch of keys (MoCo's K is many batches, 65536 at 256)");
    paramsOf(doc, 'queue').size = 256;
    expect(codes(doc)).toEqual([]);
  });

  it('a run at a batch larger than K is refused when it compiles', () => {
    expect(() => compile(tinyMoco(20, 8), { dataset: syntheticDataset(), batchSize: 32 })).toThrow(/queue-shorter-than-batch/);
  });
});
