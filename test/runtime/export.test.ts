/** Exported weights: tfjs LayersModel files that compute the encoder's features, and safetensors in PyTorch layout. */
import * as tfl from '@tensorflow/tfjs-layers';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { paramsOf } from '../helpers/docs';
import { maxAbsDiff, syntheticDataset, tfOn, tiny } from '../helpers/runtime';
import { encoderModel, encoderTensors, fromTorchLayout, permute, toTorchLayout } from '../../src/runtime/export';
import { compile } from '../../src/runtime/program';
import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors';

let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('cpu'); });
const data = syntheticDataset();

describe.each([
  ['conv net', { arch: 'conv', widths: [4, 8], strides: [1, 2], batchNorm: true }],
  ['ResNet-18, CIFAR stem', { arch: 'resnet18', widthMultiplier: 0.125, cifarStem: true }],
  ['ResNet-18, ImageNet stem', { arch: 'resnet18', widthMultiplier: 0.125, cifarStem: false }],
])('the encoder as a tfjs LayersModel (%s)', (_, encoder) => {
  it('loads with tf.loadLayersModel and computes the same features as the trained encoder', async () => {
    const doc = tiny('simsiam');
    doc.nodes.find((n) => n.id === 'enc')!.params = encoder;
    paramsOf(doc, 'aug').size = 8;
    const program = compile(doc, { dataset: data, batchSize: 8, steps: 3 });
    program.init(2);
    for (let i = 0; i < 2; i++) await program.step();
    const files = await encoderModel(program, tf.version_core);
    const parsed = JSON.parse(files.modelJson);
    const model = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: parsed.modelTopology, weightSpecs: parsed.weightsManifest[0].weights, weightData: files.weightsBin.slice().buffer,
    }));
    const images = data.test.images.subarray(0, 6 * 784);
    const want = await program.encode(images, 6, [28, 28, 1]);
    const x = tf.image.resizeBilinear(tf.div(tf.tensor4d(Float32Array.from(images), [6, 28, 28, 1]), 255) as tfc.Tensor4D, [8, 8]);
    const got = model.predict(x) as tfc.Tensor;
    expect(got.shape).toEqual(want.shape);
    expect(maxAbsDiff(await got.data(), await want.data())).toBeLessThan(1e-4);
    program.dispose();
  });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata, in a header aligned to 8 bytes', () => {
    const tensors = { b: { data: Float32Array.from([1, 2, 3]), shape: [3] }, a: { data: Float32Array.from([4, 5, 6, 7]), shape: [2, 2] } };
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(Array.from(back.tensors.a.data)).toEqual([4, 5, 6, 7]);
    expect(back.tensors.a.shape).toEqual([2, 2]);
    expect(() => decodeSafetensors(bytes.subarray(0, 20), 'cut.safetensors')).toThrow(/^cut\.safetensors: /);
  });

  it('stores the encoder in PyTorch layout: conv [out, in, kh, kw], BN vectors', async () => {
    const program = compile(tiny('simsiam'), { dataset: data, batchSize: 8, steps: 2 });
    program.init(1);
    const t = await encoderTensors(program);
    expect(Object.keys(t).sort()).toEqual([
      'blocks.0.bn.bias', 'blocks.0.bn.running_mean', 'blocks.0.bn.running_var', 'blocks.0.bn.weight', 'blocks.0.conv.weight',
      'blocks.1.bn.bias', 'blocks.1.bn.running_mean', 'blocks.1.bn.running_var', 'blocks.1.bn.weight', 'blocks.1.conv.weight',
    ]);
    expect(t['blocks.1.conv.weight'].shape).toEqual([8, 4, 3, 3]);
    const w = program.variables().get('enc.blocks.1.conv.weight')!;
    const tfLayout = await w.data();
    // element [kh=2, kw=1, in=3, out=5] in tfjs is [out=5, in=3, kh=2, kw=1] in PyTorch
    expect(t['blocks.1.conv.weight'].data[((5 * 4 + 3) * 3 + 2) * 3 + 1]).toBe(tfLayout[((2 * 3 + 1) * 4 + 3) * 8 + 5]);
    const back = fromTorchLayout(t['blocks.1.conv.weight'].data, t['blocks.1.conv.weight'].shape);
    expect(back.shape).toEqual([3, 3, 4, 8]);
    expect(Array.from(back.data)).toEqual(Array.from(tfLayout));
    expect(toTorchLayout(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])).toEqual({ data: Float32Array.from([1, 4, 2, 5, 3, 6]), shape: [3, 2] });
    expect(permute(Float32Array.from([1, 2]), [2], [0]).data).toEqual(Float32Array.from([1, 2]));
    program.dispose();
  });
});
