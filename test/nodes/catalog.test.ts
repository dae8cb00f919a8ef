import { describe, expect, it } from 'vitest';
import { formatShape, type PortShape } from '../../src/graph';
import { catalog, nodeKinds, validate } from '../../src/nodes';
import { encoderWidth } from '../../src/nodes/encoder';
import { mlpWidths } from '../../src/nodes/mlp';
import { paramsOf, replicate, template } from '../helpers/docs';

const PINNED = ['dataset', 'augment', 'encoder', 'projector', 'predictor', 'stop-gradient', 'ema', 'loss', 'queue', 'info-nce', 'nt-xent', 'barlow-twins', 'vicreg'];

describe('the node registry', () => {
  it('has every pinned type, once, each in a palette group', () => {
    expect(nodeKinds.map((k) => k.type)).toEqual(PINNED);
    for (const type of PINNED) expect(catalog.get(type)?.type).toBe(type);
    expect(new Set(nodeKinds.map((k) => k.group))).toEqual(new Set(['Data', 'Augment', 'Modules', 'Gradient flow', 'Loss']));
  });

  it.each(nodeKinds.map((k) => [k.type, k] as const))('%s declares a doc line, a citation and valid defaults', (_, kind) => {
    expect(kind.doc.length).toBeGreaterThan(20);
    expect(kind.doc).not.toContain('\n');
    expect(kind.citation).toMatch(/20\d\d/);
    expect(kind.params.safeParse(kind.defaults()).success).toBe(true);
    const keys = [...kind.inputs, ...kind.outputs].map((p) => p.key);
    expect(new Set(kind.inputs.map((p) => p.key)).size).toBe(kind.inputs.length);
    expect(new Set(kind.outputs.map((p) => p.key)).size).toBe(kind.outputs.length);
    expect(keys.every((k) => /^[a-z]+$/.test(k))).toBe(true);
  });

  it('takes its defaults from the papers', () => {
    expect(catalog.get('ema')!.defaults()).toEqual({ tauBase: 0.996, schedule: 'cosine' });
    expect(catalog.get('projector')!.defaults()).toMatchObject({ hiddenDim: 2048, outputDim: 2048, layers: 3, lastBatchNorm: 'non-affine' });
    expect(catalog.get('predictor')!.defaults()).toMatchObject({ hiddenDim: 512, outputDim: 2048, layers: 2, lastBatchNorm: 'none' });
    const [v1, v2] = catalog.get('augment')!.defaults().views;
    expect([v1.blurP, v2.blurP, v1.solarizeP, v2.solarizeP]).toEqual([1, 0.1, 0, 0.2]);
    expect(catalog.get('encoder')!.defaults()).toEqual({ arch: 'conv', widths: [32, 64, 128, 256], strides: [1, 2, 2, 2], batchNorm: true });
  });
});

describe('shape rules', () => {
  const shapeOf = (doc = template('simsiam'), id: string, port: string) => {
    const s: PortShape | undefined = validate(doc).shapes.get(id)?.outputs[port];
    return s && formatShape(s);
  };

  it('infer every port of the SimSiam template', () => {
    const v = validate(template('simsiam'));
    const out = Object.fromEntries([...v.shapes].map(([id, s]) => [id, Object.fromEntries(Object.entries(s.outputs).map(([k, x]) => [k, formatShape(x)]))]));
    expect(out).toEqual({
      data: { images: '1×B×28×28×1' },
      aug: { views: '2×B×28×28×1' },
      enc: { output: '2×B×256', weights: 'conv 32-64-128-256 (strides 1-2-2-2) on 1 channel' },
      proj: { output: '2×B×128', weights: 'MLP 256→512→128, non-affine BN out' },
      pred: { output: '2×B×128', weights: 'MLP 128→64→128' },
      sg: { output: '2×B×128' },
      loss: { loss: 'scalar' },
    });
    expect(v.shapes.get('loss')!.inputs.prediction).toEqual({ kind: 'tensor', dims: [2, 'B', 128] });
  });

  it('follow params: views, crop size, widths, ResNet-18 width multiplier, dataset', () => {
    const doc = template('simsiam');
    paramsOf(doc, 'aug').size = 24;
    (paramsOf(doc, 'aug').views as unknown[]).push((paramsOf(doc, 'aug').views as unknown[])[0]);
    doc.nodes[0].params = { source: 'cifar10' };
    expect(shapeOf(doc, 'aug', 'views')).toBe('3×B×24×24×3');
    doc.nodes[2].params = { arch: 'resnet18', widthMultiplier: 0.5, cifarStem: true };
    expect(shapeOf(doc, 'enc', 'output')).toBe('3×B×256');
    expect(encoderWidth({ arch: 'resnet18', widthMultiplier: 2, cifarStem: true })).toBe(1024);
    expect(mlpWidths({ hiddenDim: 2048, outputDim: 2048, layers: 3, hiddenBatchNorm: true, lastBatchNorm: 'non-affine' }, 512)).toEqual([512, 2048, 2048, 2048]);
    expect(validate(doc).problems).toEqual([]);
  });

  it('fill missing params with defaults', () => {
    const doc = template('simsiam');
    doc.nodes[nodeIdx(doc, 'enc')].params = { arch: 'conv' };
    const v = validate(doc);
    expect(v.params.get('enc')).toEqual({ arch: 'conv', widths: [32, 64, 128, 256], strides: [1, 2, 2, 2], batchNorm: true });
    expect(v.problems).toEqual([]);
  });

  it('a 300-node document validates with shapes for every node', () => {
    const doc = replicate(template('byol'), 28);
    expect(doc.nodes.length).toBeGreaterThanOrEqual(300);
    const v = validate(doc);
    expect(v.problems).toEqual([]);
    expect(v.shapes.size).toBe(doc.nodes.length);
  });
});

const nodeIdx = (doc: ReturnType<typeof template>, id: string) => doc.nodes.findIndex((n) => n.id === id);

