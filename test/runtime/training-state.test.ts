/**
 * Training state declared by a node kind (kind.ts KindState), for any kind:
 * a kind defined here — a running centre of its input, subtracted from it —
 * keeps two buffers that the runtime builds, updates after each step,
 * checkpoints, restores and disposes, and the PyTorch export registers as
 * buffers that its checkpoint holds. No file under src/ knows this kind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseGraph, tensor, type GraphDoc } from '../../src/graph';
import { catalogOf, nodeKinds } from '../../src/nodes';
import { dimOf } from '../../src/nodes/build';
import { defineKind } from '../../src/nodes/kind';
import { loadCheckpoint, saveCheckpoint } from '../../src/runtime/checkpoint';
import { compile, type TrainingProgram } from '../../src/runtime/program';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { PYTHON } from '../../parity/harness';
import { syntheticDataset, tfOn, tiny } from '../helpers/runtime';

const MOMENTUM = 0.9;
const centreKind = defineKind({
  type: 'test-centre',
  title: 'Centre',
  group: 'Gradient flow',
  doc: 'Subtracts a running mean of its input (a test kind).',
  citation: 'none',
  inputs: [{ key: 'input', kind: 'features', label: 'features', required: true }],
  outputs: [{ key: 'output', kind: 'features', label: 'centred' }],
  params: z.strictObject({}),
  traits: {},
  infer: ({ inputs }) => ({ outputs: inputs.input ? { output: inputs.input } : { output: tensor() } }),
  state: {
    buffers: (_params, inputs, rng) => {
      const d = dimOf(inputs.input, 2);
      return { centre: { shape: [d], init: Float32Array.from({ length: d }, () => 0.01 * rng.normal()) }, count: { shape: [1], init: new Float32Array(1) } };
    },
    reads: ['input'],
    gatherAcrossProcesses: false,
    update: ({ tf, state, inputs }) => ({
      centre: tf.add(tf.mul(state.centre, MOMENTUM), tf.mul(tf.mean(inputs.input, [0, 1]), 1 - MOMENTUM)),
      count: tf.add(state.count, 1),
    }),
  },
  build: ({ tf, state }) => ({ forward: ({ input }) => ({ output: tf.sub(input, state.centre) }) }),
  pytorch: {
    python: `import torch
import torch.nn as nn


class Centre(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer('centre', torch.zeros(dim))
        self.register_buffer('count', torch.zeros(1))

    def update(self, input):
        self.centre.mul_(${MOMENTUM}).add_(${1 - MOMENTUM} * torch.stack(input).mean((0, 1)))
        self.count.add_(1)
`,
    module: (_params, d) => `Centre(${d})`,
    forward: ({ attr, inputs }) => `[v - self.${attr}.centre for v in ${inputs.input}]`,
  },
});
const catalog = catalogOf([...nodeKinds, centreKind]);

/** Tiny SimSiam with the centre between the stop-gradient and the loss's target. */
function centred(): GraphDoc {
  const doc = tiny('simsiam');
  doc.nodes.push({ id: 'centre', type: 'test-centre', params: {}, position: { x: 0, y: 0 } });
  const e = doc.edges.find((w) => w.to.node === 'loss' && w.to.port === 'target')!;
  e.to = { node: 'centre', port: 'input' };
  doc.edges.push({ id: 'ec', from: { node: 'centre', port: 'output' }, to: { node: 'loss', port: 'target' } });
  const r = parseGraph(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}

let tf: typeof tfc;
beforeAll(async () => {
  tf = await tfOn('cpu');
});

const read = async (program: TrainingProgram) =>
  Object.fromEntries(await Promise.all([...program.trainingState()].map(async ([k, v]) => [k, Array.from(await v.data())] as const)));

describe('training state a kind declares', () => {
  it('is built from the init stream, updated once per step after it, and the centre follows its closed form', async () => {
    const program = compile(centred(), { dataset: syntheticDataset(), catalog, batchSize: 8, steps: 10 });
    try {
      program.init(3);
      expect([...program.trainingState().keys()]).toEqual(['centre.centre', 'centre.count']);
      const c0 = (await read(program))['centre.centre'];
      expect(c0.some((x) => x !== 0)).toBe(true);
      // fixed inputs for the centre: the stop-gradient's output replaced by X, so c_k = 0.9^k c0 + (1 − 0.9^k) mean(X)
      const x = tf.tensor(Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => Math.sin(i)), [2, 8, 8]);
      const mean = Array.from(await tf.mean(x, [0, 1]).data());
      const overrides = new Map([['sg', { output: x }]]);
      for (let k = 1; k <= 3; k++) await program.step(overrides);
      const after = await read(program);
      expect(after['centre.count']).toEqual([3]);
      const m = MOMENTUM ** 3;
      after['centre.centre'].forEach((c, i) => expect(c).toBeCloseTo(m * c0[i] + (1 - m) * mean[i], 6));
      // the same seed builds the same state; another seed another
      program.init(3);
      expect((await read(program))['centre.centre']).toEqual(c0);
      program.init(4);
      expect((await read(program))['centre.centre']).not.toEqual(c0);
      x.dispose();
    } finally {
      program.dispose();
    }
  });

  it('holds the tensor count flat from step 3 to step 12, and dispose releases it', async () => {
    const before = tf.memory().numTensors;
    const program = compile(centred(), { dataset: syntheticDataset(), catalog, batchSize: 8, steps: 12 });
    program.init(0);
    for (let k = 1; k <= 3; k++) await program.step();
    const at3 = tf.memory().numTensors;
    for (let k = 4; k <= 12; k++) await program.step();
    expect(tf.memory().numTensors).toBe(at3);
    program.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is checkpointed (state.json lists it) and restored: the resumed run computes the same losses and state', async () => {
    const make = () => {
      const p = compile(centred(), { dataset: syntheticDataset(), catalog, batchSize: 8, steps: 6 });
      p.init(0);
      return p;
    };
    const a = make();
    const b = make();
    try {
      for (let k = 1; k <= 3; k++) await a.step();
      const files = (await saveCheckpoint(a))!;
      expect(JSON.parse(files.json)).toMatchObject({ version: 3, state: { 'centre.centre': [8], 'centre.count': [1] } });
      await loadCheckpoint(b, files, 'mem');
      expect(await read(b)).toEqual(await read(a));
      const la = [(await a.step()).loss, (await a.step()).loss];
      const lb = [(await b.step()).loss, (await b.step()).loss];
      expect(lb).toEqual(la);
      expect((await read(b))['centre.count']).toEqual([5]);

      // a version-2 checkpoint predates training state: readable, and refused for a graph that keeps some
      const v2 = JSON.parse(files.json);
      v2.version = 2;
      delete v2.state;
      await expect(loadCheckpoint(b, { json: JSON.stringify(v2), tensors: files.tensors }, 'mem'))
        .rejects.toThrow('mem/state.json: state: has no training state centre.centre (8), which this graph keeps: was it made from another graph?');
      const v4 = { ...JSON.parse(files.json), version: 4 };
      await expect(loadCheckpoint(b, { json: JSON.stringify(v4), tensors: files.tensors }, 'mem'))
        .rejects.toThrow('mem/state.json: checkpoint version 4; this version of Siamese Studio reads versions 2 and 3 (start a new run)');
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('a version-2 checkpoint of a graph without training state still resumes', async () => {
    const make = () => {
      const p = compile(tiny('simsiam'), { dataset: syntheticDataset(), batchSize: 8, steps: 4 });
      p.init(0);
      return p;
    };
    const a = make();
    const b = make();
    try {
      await a.step();
      const files = (await saveCheckpoint(a))!;
      const v2 = JSON.parse(files.json);
      v2.version = 2;
      delete v2.state;
      await loadCheckpoint(b, { json: JSON.stringify(v2), tensors: files.tensors }, 'mem');
      expect((await b.step()).loss).toBe((await a.step()).loss);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('exports to PyTorch as buffers, updated after each step and saved in the script\'s checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-export-'));
    const script = join(dir, 'train.py');
    writeFileSync(script, exportPytorch(centred(), catalog));
    const out = join(dir, 'run');
    await promisify(execFile)(PYTHON, [script, '--data', '/usr/share/datasets/fashion-mnist', '--steps', '2', '--batch', '8', '--out', out], { cwd: dir });
    const { stdout } = await promisify(execFile)(PYTHON, ['-c',
      `import torch, json; g = torch.load(${JSON.stringify(join(out, 'checkpoint.pt'))}, weights_only=False)['graph']; print(json.dumps({k: v.tolist() for k, v in g.items() if k.startswith('n_centre.')}))`]);
    const saved = JSON.parse(stdout);
    expect(Object.keys(saved).sort()).toEqual(['n_centre.centre', 'n_centre.count']);
    expect(saved['n_centre.count']).toEqual([2]);
    expect(saved['n_centre.centre']).toHaveLength(8);
  }, 120_000);
});
