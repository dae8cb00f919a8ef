/**
 * The probe set of the effective rank (src/runtime/probe.ts): which images,
 * and that the rank on it depends on the weights only, never on the training
 * batch (a batch of B caps a rank measured on it at B − 1).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/nodes/nn/rng';
import { head, type Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { pca2 } from '../../src/runtime/embedding';
import { effectiveRank } from '../../src/runtime/metrics';
import { PROBE_SIZE, probeSet } from '../../src/runtime/probe';
import { compile } from '../../src/runtime/program';
import { template } from '../helpers/docs';
import { tfOn } from '../helpers/runtime';

let tf: typeof tfc;
let dataset: Dataset;
beforeAll(async () => {
  tf = await tfOn('wasm');
  dataset = await loadDatasetSpec('fashion-mnist');
});

describe('the probe set', () => {
  it('is the first 512 images of the test split — also where the test split is the training set, and all of a smaller one', () => {
    expect(PROBE_SIZE).toBe(512);
    const probe = probeSet(dataset);
    expect(probe.count).toBe(512);
    expect(dataset.test.count).toBe(10_000);
    expect(Buffer.from(probe.images).equals(Buffer.from(dataset.test.images.subarray(0, 512 * 784)))).toBe(true);
    expect(Array.from(probe.labels)).toEqual(Array.from(dataset.test.labels.subarray(0, 512)));
    // the browser's embedded set: Fashion-MNIST's t10k as both splits — the same 512 images as the full set's probe
    const embedded: Dataset = { ...dataset, train: dataset.test, test: dataset.test };
    expect(Buffer.from(probeSet(embedded).images).equals(Buffer.from(probe.images))).toBe(true);
    const small: Dataset = { ...dataset, test: head(dataset.test, 100) };
    expect(probeSet(small).count).toBe(100);
  });
});

describe('the probe rank', () => {
  it('depends on the weights, not on the training batch; the step reports it; probing changes no weight and leaks no tensor', async () => {
    const doc = template('simsiam');
    const at16 = compile(doc, { dataset, batchSize: 16, steps: 3 });
    const at64 = compile(doc, { dataset, batchSize: 64, steps: 3 });
    at16.init(5);
    at64.init(6);
    try {
      let last;
      for (let k = 0; k < 3; k++) last = await at16.step();
      // the same weights (running statistics included) in a program that trains at another batch size
      for (const [key, v] of at16.variables()) at64.variables().get(key)!.assign(v);
      const before = await Promise.all([...at16.variables().values()].map((v) => v.data()));
      const tensors = tf.memory().numTensors;
      const ranks = await at16.probeRanks();
      expect(tf.memory().numTensors).toBe(tensors);
      const after = await Promise.all([...at16.variables().values()].map((v) => v.data()));
      after.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(before[i].buffer))).toBe(true));

      expect(last!.effRank).toBe(ranks.effRank);
      expect(last!.encoderEffRank).toBe(ranks.encoderEffRank);
      // the embedding view's PCA comes with the rank, of the same outputs: z for the projector, the features for the encoder
      const { z, features } = at16.probeOutputs();
      const [zData, fData] = [await z.data(), await features.data()];
      tf.dispose([z, features]);
      expect(at16.embedding!.step).toBe(3);
      expect(at16.embedding!.z.dim).toBe(128);
      expect(at16.embedding!.features.dim).toBe(256);
      expect(Array.from(at16.embedding!.z.pca.points)).toEqual(Array.from(pca2(zData, 512, 128).points));
      expect(Array.from(at16.embedding!.features.pca.points)).toEqual(Array.from(pca2(fData, 512, 256).points));
      expect(await at64.probeRanks()).toEqual(ranks);
      // what the rank read before: the training batch, which caps it at B − 1 = 15 < ours
      const pass = at16.backward(at16.nextBatch(), new Rng(1));
      const batchRank = await effectiveRank(pass.z);
      tf.dispose([pass.loss, pass.z, pass.features, ...Object.values(pass.grads), ...pass.pending.map(([, t]) => t)]);
      expect(batchRank).toBeLessThanOrEqual(15 + 1e-6);
      expect(ranks.effRank).toBeGreaterThan(15);
    } finally {
      at16.dispose();
      at64.dispose();
    }
  }, 120_000);

  it('sees what the kNN monitor sees: the encoder features of the probe are those of the first 512 test images in eval mode, resized to the encoder input', async () => {
    const doc = template('simsiam');
    for (const n of doc.nodes) if (n.type === 'augment') n.params.size = 20; // 28 → 20: the resize path
    const program = compile(doc, { dataset, batchSize: 16, steps: 2 });
    program.init(2);
    try {
      await program.step();
      const { z, features } = program.probeOutputs();
      const test = head(dataset.test, 512);
      const knn = await program.encode(test.images, 512, [28, 28, 1]);
      expect(features.shape).toEqual([512, 256]);
      expect(z.shape).toEqual([512, 128]);
      expect(Buffer.from((await features.data()).buffer).equals(Buffer.from((await knn.data()).buffer))).toBe(true);
      tf.dispose([z, features, knn]);
    } finally {
      program.dispose();
    }
  }, 120_000);
});
