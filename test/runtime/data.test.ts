import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCifar10 } from '../../src/runtime/data/dataset';
import { MAX_IDX_BYTES, parseIdx, readIdx } from '../../src/runtime/data/idx';
import { DEBIAN_FASHION_MNIST, loadDatasetSpec } from '../../src/runtime/data/node';
import { BatchSampler, gatherImages } from '../../src/runtime/data/sampler';
import { Rng } from '../../src/nodes/nn/rng';

/** An IDX file of unsigned bytes. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, 0x0800 | dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(header.buffer), ...data]);
}

function fakeFashionMnist(dir: string, gz: boolean, n = 12) {
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  const images = Uint8Array.from({ length: n * 784 }, (_, i) => i % 251);
  write('train-images-idx3-ubyte', idx([n, 28, 28], images));
  write('train-labels-idx1-ubyte', idx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)));
  write('t10k-images-idx3-ubyte', idx([4, 28, 28], images.subarray(0, 4 * 784)));
  write('t10k-labels-idx1-ubyte', idx([4], Uint8Array.from([1, 2, 3, 4])));
}

const saved = process.env.SIAMESE_STUDIO_DATA;
afterEach(() => { process.env.SIAMESE_STUDIO_DATA = saved; });

describe('IDX', () => {
  it('parses raw and gzipped files alike', async () => {
    const bytes = idx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    expect(parseIdx(bytes, 'f')).toEqual({ dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    expect((await readIdx(new Uint8Array(gzipSync(bytes)), 'f')).dims).toEqual([2, 3]);
  });

  it('names the file and the fault when it is corrupt', async () => {
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 'x/a.idx')).toThrow('x/a.idx: not an IDX file (magic number 0x01020304)');
    expect(() => parseIdx(idx([10, 10], new Uint8Array(50)), 'x/b.idx')).toThrow('x/b.idx: truncated: the header says 10×10 = 100 bytes of data, the file has 50');
    const gz = new Uint8Array(gzipSync(idx([2], Uint8Array.from([1, 2])))).subarray(0, 12);
    await expect(readIdx(gz, 'x/c.gz')).rejects.toThrow(/^x\/c\.gz: corrupt gzip data/);
  });

  it('decompresses a gzipped file only as far as its header says (a gzip bomb costs what its header claims)', async () => {
    // 1000 bytes of data, then 64 MiB of zeros, then a cut: decompressing it all would fail, and cost 64 MiB.
    const bomb = new Uint8Array(gzipSync(Buffer.concat([idx([10, 100], new Uint8Array(1000).fill(7)), Buffer.alloc(64 << 20)])));
    const cut = bomb.subarray(0, bomb.length - 1000);
    const r = await readIdx(cut, 'x/bomb.gz');
    expect(r.dims).toEqual([10, 100]);
    expect(r.data.length).toBe(1000);
    expect(r.data.every((b) => b === 7)).toBe(true);
    await expect(readIdx(new Uint8Array(gzipSync(idx([65536, 65536], new Uint8Array(0)))), 'x/huge.gz'))
      .rejects.toThrow(`x/huge.gz: the header says 65536×65536 = 4294967296 bytes of data; at most ${MAX_IDX_BYTES} are read`);
  });
});

describe('Fashion-MNIST from a folder', () => {
  it.each([true, false])('loads the four files (gzipped: %s)', async (gz) => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    fakeFashionMnist(dir, gz);
    const d = await loadDatasetSpec(`fashion-mnist=${dir}`);
    expect([d.train.count, d.test.count, d.train.height, d.train.width, d.train.channels]).toEqual([12, 4, 28, 28, 1]);
    expect(Array.from(d.test.labels)).toEqual([1, 2, 3, 4]);
    expect(d.train.images[783]).toBe(783 % 251);
  });

  it('says which file is missing, and where it looked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    await expect(loadDatasetSpec(`fashion-mnist=${dir}`)).rejects.toThrow(`fashion-mnist: missing train-images-idx3-ubyte(.gz) in ${dir}`);
    process.env.SIAMESE_STUDIO_DATA = dir;
    const d = mkdtempSync(join(tmpdir(), 'fmnist-'));
    fakeFashionMnist(d, true, 20);
    process.env.SIAMESE_STUDIO_DATA = d;
    expect((await loadDatasetSpec('fashion-mnist')).train.count).toBe(20);
  });

  it('labels that do not match the images are an error naming both files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    fakeFashionMnist(dir, false);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([5], new Uint8Array(5)));
    await expect(loadDatasetSpec(`fashion-mnist=${dir}`)).rejects.toThrow(`${dir}/train-labels-idx1-ubyte: has 5 labels for 12 images in train-images-idx3-ubyte`);
  });

  it("Debian's dataset-fashion-mnist is found by default", async () => {
    delete process.env.SIAMESE_STUDIO_DATA;
    const d = await loadDatasetSpec('fashion-mnist');
    expect([d.train.count, d.test.count]).toEqual([60000, 10000]);
    expect(DEBIAN_FASHION_MNIST).toBe('/usr/share/datasets/fashion-mnist');
  });
});

describe('CIFAR-10 binary', () => {
  it('turns planar RGB records into NHWC images', async () => {
    const record = (label: number, base: number) => Uint8Array.from({ length: 3073 }, (_, i) => (i === 0 ? label : (base + i) % 256));
    const files: Record<string, Uint8Array> = {};
    for (let b = 1; b <= 5; b++) files[`data_batch_${b}.bin`] = new Uint8Array([...record(b, b), ...record(9, 100)]);
    files['test_batch.bin'] = record(3, 7);
    const d = await loadCifar10(async (n) => files[n], 'dir');
    expect([d.train.count, d.test.count, d.train.channels]).toEqual([10, 1, 3]);
    // pixel p, channel c of record r comes from byte 1 + c·1024 + p
    expect(d.test.images[5 * 3 + 2]).toBe((7 + 1 + 2 * 1024 + 5) % 256);
    expect(Array.from(d.train.labels.subarray(0, 4))).toEqual([1, 9, 2, 9]);
    files['test_batch.bin'] = new Uint8Array(100);
    await expect(loadCifar10(async (n) => files[n], 'dir')).rejects.toThrow('dir/test_batch.bin: 100 bytes is not a whole number of 3073-byte CIFAR-10 records');
  });
});

describe('batches', () => {
  it('cover each epoch once, reshuffled, and resume where they left off', () => {
    const s = new BatchSampler(10, 3, new Rng(1));
    const epoch = [...s.next(), ...s.next(), ...s.next()];
    expect(new Set(epoch).size).toBe(9);
    const saved = s.state();
    const next = Array.from(s.next());
    const resumed = new BatchSampler(10, 3, new Rng(99));
    resumed.restore(saved);
    expect(Array.from(resumed.next())).toEqual(next);
    expect(Array.from(gatherImages(Uint8Array.from([0, 255, 51, 102]), 2, [1, 0]))).toEqual(Array.from(Float32Array.from([51 / 255, 102 / 255, 0, 1])));
  });
});
