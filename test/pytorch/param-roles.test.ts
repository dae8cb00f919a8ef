/**
 * The exported script's optimizer groups by the roles the node kinds declare
 * (`ctx.param(name, shape, role)`), as the tfjs optimizer does — never by a
 * rule of its own such as "ndim ≤ 1 is a bias or a norm". A kind defined
 * here, `gain` (y = s·x + b per view), declares a 1-element s and a 1-D b,
 * both 'weight': LARS adapts and decays both in tfjs, so the script must too
 * (under the ndim rule it left them out, and the LARS parity failed). Every
 * template's script groups as before: its NOT_WEIGHTS is exactly what the
 * ndim rule picked.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph, type GraphDoc } from '../../src/graph';
import { catalog as builtIn, catalogOf, nodeKinds, validate } from '../../src/nodes';
import { dimOf } from '../../src/nodes/build';
import { defineKind } from '../../src/nodes/kind';
import { MODULE_ROLE, modulePorts, moduleResult, viewStack } from '../../src/nodes/module';
import { declaredParams } from '../../src/nodes/param-roles';
import { py } from '../../src/nodes/python';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { formatTable, parity, THIS_CPU } from '../../parity/harness';
import { python } from '../helpers/python';
import { syntheticDataset, tfOn, tiny } from '../helpers/runtime';

const GAIN_PY = `import torch
import torch.nn as nn


class Gain(nn.Module):
    """y = s * x + b: s one element, b one per feature, both weights (the gain kind of test/pytorch/param-roles.test.ts)."""

    def __init__(self, size):
        super().__init__()
        self.s = nn.Parameter(torch.ones(1))
        self.b = nn.Parameter(torch.zeros(size))

    def forward(self, x):
        return self.s * x + self.b
`;

/** y = s·x + b per view; s (1 element) and b (one per feature) both declared weights. */
const gain = defineKind({
  type: 'gain',
  title: 'Gain',
  group: 'Modules',
  doc: 'Multiplies every view by a learnable scalar s and adds a learnable vector b.',
  citation: 'test/pytorch/param-roles.test.ts (a kind defined in a test)',
  ...modulePorts('features', 'features', 'features'),
  params: z.strictObject({}),
  traits: { module: MODULE_ROLE },
  infer: ({ params, inputs }) => {
    const { dims, problem } = viewStack(inputs.input, 3, 'feature views V×B×D');
    return moduleResult(
      { type: 'gain', params, inputSize: dims ? Number(dims.dims[2]) : undefined, output: dims, summary: 's·x + b', problems: problem ? [problem] : [] },
      inputs.weights,
    );
  },
  build: ({ tf, param, inputs, rng }) => {
    const size = dimOf(inputs.input, 2);
    const s = param('s', [1], 'weight', (n) => new Float32Array(n).fill(1.5));
    // not zero: LARS's trust ratio is 1 for a zero tensor, adapted or not
    const b = param('b', [size], 'weight', (n) => Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5)));
    return { forward: ({ input }) => ({ output: tf.add(tf.mul(input, s), b) }) };
  },
  pytorch: {
    python: GAIN_PY,
    module: (_, size) => `Gain(${py(size)})`,
    forward: ({ attr, inputs }) => `[self.${attr}(v) for v in ${inputs.input}]`,
  },
});

const kinds = catalogOf([...nodeKinds, gain]);

/** Tiny SimSiam (28×28, the parity harness's fixed views) whose loss reads a gain on the predictor's output, trained with `optimizer`. */
function gainDocument(optimizer: GraphDoc['training']['optimizer']): GraphDoc {
  const doc = tiny('simsiam');
  for (const n of doc.nodes) if (n.type === 'augment') n.params.size = 28;
  doc.nodes.push({ id: 'gain', type: 'gain', label: 's·p + b', params: {}, position: { x: 1350, y: 0 } });
  const intoLoss = doc.edges.find((e) => e.from.node === 'pred')!;
  doc.edges.push({ id: 'e-gain', from: { node: 'pred', port: 'output' }, to: { node: 'gain', port: 'input' } });
  intoLoss.from = { node: 'gain', port: 'output' };
  doc.training.optimizer = optimizer;
  return doc;
}

const LARS = { type: 'lars', lr: 0.5, momentum: 0.9, weightDecay: 0.05, trustCoefficient: 1e-3, excludeBiasAndNorm: true } as const;
const SGD = { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.05, nesterov: false } as const;

/** NOT_WEIGHTS of each script, and the trained parameters the ndim ≤ 1 rule picks, in the script's Graph. */
const GROUPS = String.raw`
import json, runpy, sys
out = {}
for name, path in json.load(sys.stdin).items():
    g = runpy.run_path(path, run_name='script')
    graph = g['Graph']()
    out[name] = dict(notWeights=sorted(g['NOT_WEIGHTS']), ndimRule=sorted(n for n, p in graph.named_parameters() if p.requires_grad and p.ndim <= 1))
print(json.dumps(out))
`;

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'param-roles-'));
let tf: typeof tfc;

beforeAll(async () => {
  tf = await tfOn('cpu');
});

describe('the optimizer groups of an exported script', () => {
  it('come from the roles a kind declares: gain\'s s and b are weights, read without tfjs', () => {
    const doc = gainDocument(LARS);
    const v = validate(doc, kinds);
    expect(declaredParams(gain, 'gain', {}, v.shapes.get('gain')!.inputs)).toEqual([
      { name: 's', shape: [1], role: 'weight' },
      { name: 'b', shape: [8], role: 'weight' },
    ]);
    const script = exportPytorch(doc, kinds);
    const names = /^NOT_WEIGHTS = frozenset\(\[\n((?: {4}".*",\n)*)\]\)$/m.exec(script)![1];
    expect(names).not.toContain('n_gain.');
    expect(names).toContain('    "n_pred.layers.0.bn.weight",\n');
  });

  it('refuse a build that computes while declaring its parameters, naming the node and the op', () => {
    const eager = { ...gain, build: (ctx: Parameters<NonNullable<typeof gain.build>>[0]) => ({ forward: () => ({ output: ctx.tf.ones([1]) }), early: ctx.tf.zeros([1]) }) };
    expect(() => declaredParams(eager, 'g1', {}, {})).toThrow('node "g1" (gain): its build used tf.zeros while declaring its parameters; use tensors only in forward');
  });

  it('are, for every template, what the ndim ≤ 1 rule picked (its script trains as before)', async () => {
    const templates = readdirSync(join(root, 'templates')).filter((f) => f.endsWith('.json')).sort();
    const paths: Record<string, string> = {};
    for (const t of templates) {
      const parsed = parseGraph(readFileSync(join(root, 'templates', t), 'utf8'));
      if (!parsed.ok) throw new Error(`${t}: ${JSON.stringify(parsed.errors)}`);
      paths[t] = join(dir, t.replace(/\.json$/, '.py'));
      writeFileSync(paths[t], exportPytorch(parsed.doc, builtIn));
    }
    const groups = await python<Record<string, { notWeights: string[]; ndimRule: string[] }>>(GROUPS, paths);
    expect(Object.keys(groups)).toEqual(templates);
    for (const [t, g] of Object.entries(groups)) {
      expect(g.notWeights, t).toEqual(g.ndimRule);
      expect(g.notWeights.length, t).toBeGreaterThan(0);
    }
  }, 120_000);

  it.each([['LARS', LARS], ['SGD with weight decay', SGD]] as const)('pass the parity harness with %s where a kind\'s roles differ from the ndim rule', async (name, optimizer) => {
    const [rows] = (await parity(tf, gainDocument(optimizer), syntheticDataset(), [THIS_CPU], { catalog: kinds, dir: join(dir, name.replace(/\W+/g, '-')) })).values();
    const table = formatTable(`gain, ${name}`, rows);
    expect(rows.map((r) => r.ok), table).toEqual(rows.map(() => true));
    expect(rows.length).toBe(5);
  }, 300_000);
});
