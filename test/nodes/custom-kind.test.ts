/**
 * The node-kind contract's proof (#16 point 7): two kinds defined here and
 * nowhere else — `scale`, a module with one learnable scalar (y = s·x per
 * view), and `pair-mse`, a loss (the mean over ordered view pairs i ≠ j of
 * mean((p_i − z_j)²)) — each with its tfjs build and its PyTorch emitter
 * (helper Python as a string below). Put in a catalog of this test's own, a
 * SimSiam whose loss is pair-mse on a scaled predictor output validates,
 * trains on cpu with the scale's gradient checked against its closed form and
 * finite differences, exports, runs in PyTorch and passes the parity
 * harness; the built-in catalog refuses the same document.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { between, formatShape, tensor, type GraphDoc, type LocalProblem } from '../../src/graph';
import { catalog as builtIn, catalogOf, nodeKinds, validate } from '../../src/nodes';
import type { StepEnv } from '../../src/nodes/build';
import { defineKind } from '../../src/nodes/kind';
import { MODULE_ROLE, modulePorts, moduleResult, viewStack } from '../../src/nodes/module';
import { Rng } from '../../src/nodes/nn/rng';
import { py } from '../../src/nodes/python';
import { gatherImages } from '../../src/runtime/data/sampler';
import { compile, CompileError } from '../../src/runtime/program';
import { exportPytorch, ExportError } from '../../src/runtime/pytorch/export';
import { ATEN_DEFAULT, formatTable, ONEDNN_AVX2, parity, THIS_CPU } from '../../parity/harness';
import { PYTHON, tinyFashionMnist } from '../helpers/python';
import { jsonRecords, runScript } from '../helpers/script';
import { syntheticDataset, tfOn, tiny } from '../helpers/runtime';

const SCALE_PY = `import torch
import torch.nn as nn


class Scale(nn.Module):
    """y = s * x with one learnable scalar s (the scale kind of test/nodes/custom-kind.test.ts)."""

    def __init__(self, init):
        super().__init__()
        self.s = nn.Parameter(torch.full((1,), float(init)))

    def forward(self, x):
        return self.s * x
`;

const PAIR_MSE_PY = `def pair_mse(p, z):
    """Mean over ordered view pairs i != j of mean((p_i - z_j) ** 2) (the pair-mse kind of test/nodes/custom-kind.test.ts)."""
    v = len(p)
    return sum(((p[i] - z[j]) ** 2).mean() for i in range(v) for j in range(v) if i != j) / (v * (v - 1))
`;

/** y = s·x, view by view, with one learnable scalar s starting at `init`. */
const scale = defineKind({
  type: 'scale',
  title: 'Scale',
  group: 'Modules',
  doc: 'Multiplies every view by one learnable scalar s.',
  citation: 'test/nodes/custom-kind.test.ts (a kind defined in a test)',
  ...modulePorts('features', 'features', 'features'),
  params: z.strictObject({ init: between(-1000, 1000).default(1) }),
  traits: { module: MODULE_ROLE },
  infer: ({ params, inputs }) => {
    const { dims, problem } = viewStack(inputs.input, 3, 'feature views V×B×D');
    return moduleResult(
      { type: 'scale', params, inputSize: dims ? Number(dims.dims[2]) : undefined, output: dims, summary: `× s (from ${params.init})`, problems: problem ? [problem] : [] },
      inputs.weights,
    );
  },
  build: ({ tf, params, param }) => {
    // a 1-element vector declared a norm: LARS neither adapts nor decays it, in tfjs and in the script (which groups by declared roles)
    const s = param('s', [1], 'norm', (n) => new Float32Array(n).fill(params.init));
    return { forward: ({ input }) => ({ output: tf.mul(input, s) }) };
  },
  pytorch: {
    python: SCALE_PY,
    module: (p) => `Scale(${py(p.init)})`,
    forward: ({ attr, inputs }) => `[self.${attr}(v) for v in ${inputs.input}]`,
  },
});

/** The mean over ordered view pairs i ≠ j of mean_{b,d} (p_i − z_j)², times its weight. */
const pairMse = defineKind({
  type: 'pair-mse',
  title: 'Pair MSE',
  group: 'Loss',
  doc: 'Mean squared error between each view of the prediction and every other view of the target.',
  citation: 'test/nodes/custom-kind.test.ts (a kind defined in a test)',
  inputs: [
    { key: 'prediction', kind: 'features', label: 'prediction p', required: true },
    { key: 'target', kind: 'features', label: 'target z', required: true },
  ],
  outputs: [{ key: 'loss', kind: 'loss', label: 'loss' }],
  params: z.strictObject({ weight: between(0, 1000).default(1) }),
  traits: { loss: { output: 'loss' }, lossSides: { prediction: 'prediction', target: 'target' } },
  infer: ({ inputs: { prediction: p, target: t } }) => {
    const problems: LocalProblem[] = [];
    if (p?.kind === 'tensor' && t?.kind === 'tensor' && formatShape(p) !== formatShape(t)) {
      problems.push({ code: 'shape-mismatch', port: 'target', message: `prediction is ${formatShape(p)} but target is ${formatShape(t)}: they must match` });
    }
    return { outputs: { loss: tensor() }, problems };
  },
  build: ({ tf, params }) => ({
    forward: ({ prediction, target }) => ({
      loss: tf.tidy(() => {
        const v = prediction.shape[0];
        // [V, V]: mean over b, d of (p_i − z_j)²; the diagonal (i = j) left out
        const pairs = tf.mean(tf.square(tf.sub(tf.expandDims(prediction, 1), tf.expandDims(target, 0))), [2, 3]);
        const offDiagonal = tf.sub(tf.sum(pairs), tf.sum(tf.mul(pairs, tf.eye(v))));
        return tf.mul(tf.div(offDiagonal, v * (v - 1)), params.weight);
      }),
    }),
  }),
  pytorch: {
    python: PAIR_MSE_PY,
    forward: ({ params, inputs }) => `${py(params.weight)} * pair_mse(${inputs.prediction}, ${inputs.target})`,
  },
});

const kinds = catalogOf([...nodeKinds, scale, pairMse]);

/** SimSiam at tiny widths, 28×28 (the data's size, as the parity harness's fixed views are), its loss pair-mse on the scaled predictor output. */
function scaledDocument(): GraphDoc {
  const doc = tiny('simsiam');
  for (const n of doc.nodes) {
    if (n.type === 'augment') n.params.size = 28;
    if (n.type === 'loss') Object.assign(n, { type: 'pair-mse', label: 'pair MSE', params: { weight: 1 } });
  }
  doc.nodes.push({ id: 'scale', type: 'scale', label: 's·p', params: { init: 1 }, position: { x: 1350, y: 0 } });
  const intoLoss = doc.edges.find((e) => e.from.node === 'pred')!;
  doc.edges.push({ id: 'e-scale', from: { node: 'pred', port: 'output' }, to: { node: 'scale', port: 'input' } });
  intoLoss.from = { node: 'scale', port: 'output' };
  return doc;
}

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'custom-kind-'));
const U = 2 ** -24; // float32's unit roundoff
/** Higham's γ_n = n·u/(1 − n·u): the relative error bound of n roundings in a row (a sum of n + 1 terms, in any order). */
const gamma = (n: number) => (n * U) / (1 - n * U);
let tf: typeof tfc;

beforeAll(async () => {
  tf = await tfOn('cpu');
});

describe('a node kind defined in a test file', () => {
  it('comes only from the catalog it is put in: the built-in catalog refuses the document, naming each unknown kind', () => {
    const doc = scaledDocument();
    expect(validate(doc, kinds).problems).toEqual([]);
    const known = builtIn.kinds.map((k) => k.type).join(', ');
    const unknown = validate(doc).problems.filter((p) => p.severity === 'error');
    expect(unknown.map((p) => [p.code, p.message])).toEqual([
      ['unknown-type', `unknown node type "pair-mse" (known: ${known})`],
      ['unknown-type', `unknown node type "scale" (known: ${known})`],
      // the loss is one of the unknown kinds: no known node is a loss
      ['no-loss', 'the graph has no loss node: nothing to train'],
    ]);
    expect(builtIn.get('scale')).toBeUndefined();
    const errors = [
      `error nodes[6].type (node "loss"): unknown node type "pair-mse" (known: ${known}) [unknown-type]`,
      `error nodes[7].type (node "scale"): unknown node type "scale" (known: ${known}) [unknown-type]`,
      'error nodes: the graph has no loss node: nothing to train [no-loss]',
    ].join('\n');
    expect(() => compile(doc, { dataset: syntheticDataset() })).toThrow(CompileError);
    expect(() => compile(doc, { dataset: syntheticDataset() })).toThrow(`the graph has errors:\n${errors}`);
    expect(() => exportPytorch(doc)).toThrow(new ExportError(`the graph has errors:\n${errors}`));
  });

  it('trains 3 steps on cpu: the scale\'s gradient is its closed form and its finite difference, and SGD moves s by it', async () => {
    const doc = scaledDocument();
    const dataset = syntheticDataset();
    const batch = 8;
    const program = compile(doc, { dataset, batchSize: batch, steps: 3, catalog: kinds });
    program.init();
    try {
      // fixed views in place of the augment's, so that every pass below sees the same input
      const views = 2;
      const per = 28 * 28;
      const images = gatherImages(dataset.train.images, per, Uint32Array.from({ length: views * batch }, (_, i) => i));
      const fixed = tf.tensor(images, [views, batch, 28, 28, 1]);
      const overrides = new Map([['aug', { views: fixed }]]);
      const s = program.variables().get('scale.s')!;
      const env: StepEnv = { mode: 'train', rng: new Rng(0), batch: tf.zeros([1]), assign: () => {} };
      const pass = async () => {
        const b = program.backward(env.batch, new Rng(0), overrides);
        const out = { loss: (await b.loss.data())[0], grad: (await b.grads['scale.s'].data())[0] };
        tf.dispose([b.loss, b.z, b.features, ...Object.values(b.grads), ...b.pending.map(([, value]) => value)]);
        return out;
      };
      const setS = (value: number) => s.assign(tf.tensor([value]));

      // p (the predictor's views) and z (the stop-gradient's) do not depend on s: read them once
      const [pT, zT] = tf.tidy(() => {
        const o = program.forward(env, overrides);
        return [o.get('pred')!.output, o.get('sg')!.output];
      });
      const [p, zz] = [await pT.data(), await zT.data()];
      tf.dispose([pT, zT]);
      const n = p.length / views; // B·D per view
      /** In float64 from p and z (float32 values): the loss, ∂L/∂s, and Σ|terms| of each (for the rounding bounds). */
      const exact = (sv: number) => {
        let loss = 0, grad = 0, gradAbs = 0;
        for (let i = 0; i < views; i++) for (let j = 0; j < views; j++) {
          if (i === j) continue;
          for (let k = 0; k < n; k++) {
            const d = sv * p[i * n + k] - zz[j * n + k];
            loss += d * d;
            grad += 2 * d * p[i * n + k];
            gradAbs += Math.abs(2 * d * p[i * n + k]);
          }
        }
        const count = views * (views - 1) * n;
        return { loss: loss / count, grad: grad / count, gradAbs: gradAbs / count };
      };

      // Rounding bounds, a priori (Higham, Accuracy and Stability §3–4), so they hold for any summation order and any x86-64 CPU:
      // the loss sums n = B·D squares per view pair (each after a product s·p, a difference and a square: 3 roundings),
      // then V² pair means, then a few scalar operations: every term is ≥ 0, so |L̂ − L| ≤ γ(n + V² + 8)·L.
      // ∂L/∂s is Σ over all V·V·B·D broadcast elements of 2(s·p_i − z_j)·p_i/count (signs mixed), reached through ≈ 8 roundings
      // per element (mean's 1/count, the square's 2·d, the broadcasts' sums, the product with p): |ĝ − g| ≤ γ(V²·n + 8)·Σ|terms|.
      const lossBound = (l: number) => gamma(n + views * views + 8) * l;
      const gradBound = (e: ReturnType<typeof exact>) => gamma(views * views * n + 8) * e.gradAbs;

      const at1 = await pass();
      const e1 = exact(1);
      expect(Math.abs(at1.loss - e1.loss)).toBeLessThanOrEqual(lossBound(e1.loss));
      expect(Math.abs(at1.grad - e1.grad), `tfjs ${at1.grad}, closed form ${e1.grad}`).toBeLessThanOrEqual(gradBound(e1));
      // a gradient far above its bound: the check has signal
      expect(Math.abs(e1.grad)).toBeGreaterThan(1e3 * gradBound(e1));

      // L(s) is exactly quadratic in s (p, z fixed and bitwise the same on every pass: the cpu backend is deterministic),
      // so the central difference has no truncation error: (L(s+h) − L(s−h))/2h = L′(s) in exact arithmetic, whatever h.
      // What is left is the rounding of the two losses, ≤ (lossBound(L(s+h)) + lossBound(L(s−h)))/2h; h = 1/8 keeps it
      // small, and 1 ± 1/8 are exact in float32.
      const h = 1 / 8;
      setS(1 + h);
      const plus = (await pass()).loss;
      setS(1 - h);
      const minus = (await pass()).loss;
      setS(1);
      const numeric = (plus - minus) / (2 * h);
      const fdBound = (lossBound(exact(1 + h).loss) + lossBound(exact(1 - h).loss)) / (2 * h);
      expect(Math.abs(numeric - at1.grad), `numeric ${numeric}, analytic ${at1.grad}`).toBeLessThanOrEqual(fdBound + gradBound(e1));

      // 3 optimizer steps (SGD with momentum and weight decay, SimSiam's): s follows
      // buf ← μ·buf + (g + wd·s) (buf starts at g + wd·s), s ← s − lr·buf, g from a pass on the same views
      const { momentum, weightDecay } = doc.training.optimizer as { momentum: number; weightDecay: number };
      let buf = 0;
      let bufError = 0; // how far tfjs's float32 buffer may be from this float64 one
      for (let k = 0; k < 3; k++) {
        const before = (await s.data())[0];
        const { grad } = await pass();
        const metrics = await program.step(overrides);
        const after = (await s.data())[0];
        const g = grad + weightDecay * before;
        buf = k === 0 ? g : momentum * buf + g;
        // g + wd·s: 2 roundings, μ·buf + g: 2, lr·buf and s − …: 2
        bufError = momentum * bufError + gamma(4) * (Math.abs(grad) + weightDecay * Math.abs(before) + momentum * Math.abs(buf));
        const expected = before - metrics.lr * buf;
        expect(metrics.step).toBe(k + 1);
        expect(Number.isFinite(metrics.loss)).toBe(true);
        expect(Math.abs(after - expected), `step ${k + 1}: s ${after}, expected ${expected}`).toBeLessThanOrEqual(gamma(2) * (Math.abs(before) + metrics.lr * Math.abs(buf)) + metrics.lr * bufError);
        expect(Math.abs(after - before)).toBeGreaterThan(1e-6);
      }
      expect(program.stepsDone).toBe(3);
      fixed.dispose();
      env.batch.dispose();
    } finally {
      program.dispose();
    }
  });

  it('exports to PyTorch with its own Python, lints clean, and runs there', async () => {
    const text = exportPytorch(scaledDocument(), kinds);
    expect(text).toContain('        self.n_scale = Scale(1)\n');
    expect(text).toContain('        out["scale"] = [self.n_scale(v) for v in out["pred"]]  # scale\n');
    expect(text).toContain('        out["loss"] = 1 * pair_mse(out["scale"], out["sg"])  # pair-mse\n');
    expect(text).toContain('        loss = out["loss"]\n');
    for (const definition of ['\nclass Scale(nn.Module):\n', '\ndef pair_mse(p, z):\n']) expect(text.split(definition)).toHaveLength(2);
    const script = join(dir, 'train.py');
    writeFileSync(script, text);
    await run(PYTHON, ['-m', 'py_compile', script]);
    // pyflakes exits 1 on any message; an unused import or an undefined name in the test's Python would show here
    const lint = await run(PYTHON, ['-m', 'pyflakes', script]).then(({ stdout }) => stdout, (e: { stdout: string }) => e.stdout);
    expect(lint).toBe('');

    const out = join(dir, 'run');
    const result = await runScript(script, ['--data', tinyFashionMnist(join(dir, 'data'), 32, 16), '--steps', '2', '--batch', '8', '--out', out], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const records = jsonRecords(result.stdout);
    expect(records.map((r) => r.step ?? (r.done ? 'done' : '?'))).toEqual([1, 2, 'done']);
    for (const r of records.slice(0, 2)) expect(Number.isFinite(r.loss) && (r.loss as number) >= 0).toBe(true);
  }, 180_000);

  it('passes the parity harness (loss, gradients, state after 1 and 3 steps) under this CPU\'s PyTorch kernels and other CPUs\'', async () => {
    const tables = await parity(tf, scaledDocument(), syntheticDataset(), [THIS_CPU, ATEN_DEFAULT, ONEDNN_AVX2], { catalog: kinds, dir: join(dir, 'parity') });
    for (const [label, rows] of tables) {
      const table = formatTable(`scale + pair-mse, PyTorch on ${label}`, rows);
      expect(rows.map((r) => r.ok), table).toEqual([true, true, true, true, true]);
      expect(rows[1].what, table).toMatch(/^gradients \(\d+,/);
    }
  }, 180_000);

  it('fails the parity harness where the kind\'s PyTorch forward computes something else (1.01·s·x)', async () => {
    const wrong = catalogOf([...nodeKinds, { ...scale, pytorch: { ...scale.pytorch!, forward: ({ attr, inputs }) => `[1.01 * self.${attr}(v) for v in ${inputs.input}]` } }, pairMse]);
    const [rows] = (await parity(tf, scaledDocument(), syntheticDataset(), [THIS_CPU], { catalog: wrong, dir: join(dir, 'wrong') })).values();
    const table = formatTable('scale + pair-mse, PyTorch forward 1.01·s·x', rows);
    expect(rows[0].ok, table).toBe(false);
    expect(rows[0].where).toBe('step 1');
    expect(rows.filter((r) => !r.ok).length, table).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
