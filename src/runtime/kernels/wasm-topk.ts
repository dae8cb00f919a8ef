/**
 * TopK for tfjs's wasm backend without sorting whole rows. tfjs 4.22 copies
 * each row into a vector and std::sorts all of it: for the kNN monitor that is
 * 60k similarities sorted per query to keep 200. Here a row is scanned once
 * against a k-element min-heap of the best so far — most entries cost one
 * comparison with the heap's worst — and only the k kept are sorted.
 * Same result as tfjs's: values descending, equal values by lower index.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasm-compose';

/** The k largest of row[0..n) into values/indices, sorted as tfjs sorts them. */
function topKRow(row: ArrayLike<number>, k: number, values: Float32Array | Int32Array, indices: Int32Array): void {
  // heap[0] is the worst kept entry: the smallest value, among equals the largest index.
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  const worse = (a: number, b: number) => hv[a] < hv[b] || (hv[a] === hv[b] && hi[a] > hi[b]);
  const swap = (a: number, b: number) => {
    [hv[a], hv[b]] = [hv[b], hv[a]];
    [hi[a], hi[b]] = [hi[b], hi[a]];
  };
  const siftDown = (size: number) => {
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  let size = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (size < k) {
      hv[size] = v;
      hi[size] = j;
      for (let c = size++; c > 0 && worse(c, (c - 1) >> 1); c = (c - 1) >> 1) swap(c, (c - 1) >> 1);
    } else if (v > hv[0]) {
      // Scanning in index order, an equal value never beats a kept one.
      hv[0] = v;
      hi[0] = j;
      siftDown(k);
    }
  }
  // Pop the worst to the back: best first.
  for (let end = k - 1; end > 0; end--) {
    swap(0, end);
    siftDown(end);
  }
  for (let i = 0; i < k; i++) {
    values[i] = hv[i];
    indices[i] = hi[i];
  }
}

export const topK: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { k } = attrs as unknown as { k: number };
  const wasm = backend as unknown as WasmHeapBackend;
  const n = x.shape[x.shape.length - 1];
  const shape = [...x.shape.slice(0, -1), k];
  const outValues = wasm.makeOutput(shape, x.dtype);
  const outIndices = wasm.makeOutput(shape, 'int32');
  const data = wasm.typedArrayFromHeap(x);
  const values = wasm.typedArrayFromHeap(outValues);
  const indices = wasm.typedArrayFromHeap(outIndices) as Int32Array;
  for (let r = 0; r < data.length / Math.max(n, 1); r++) {
    topKRow(data.subarray(r * n, (r + 1) * n), k, values.subarray(r * k, (r + 1) * k), indices.subarray(r * k, (r + 1) * k));
  }
  return [outValues, outIndices];
};
