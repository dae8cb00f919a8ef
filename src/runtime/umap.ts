/**
 * UMAP of the probe set on demand (the embedding view's second projection):
 * umap-js, imported only when asked (never in a first-load bundle), seeded
 * so the same features give the same picture, run an epoch at a time so the
 * caller can report progress and cancel between epochs.
 */
import { Rng } from '../nodes/nn/rng';

export class UmapCancelled extends Error {
  constructor() { super('UMAP cancelled'); }
}

export interface UmapOptions {
  epochs: number;
  /** Told after each batch of epochs: epochs done, of `total`. */
  onProgress?: (done: number, total: number) => void;
  /** Read between batches of epochs; true stops the run (UmapCancelled). */
  cancelled?: () => boolean;
  seed?: number;
}

/** Epochs between progress reports and chances to cancel. */
const EPOCHS_PER_TURN = 5;

/** 2-D UMAP (N×2, row-major) of `rows` rows of dimension `dim` (row-major). */
export async function umap2(data: Float32Array, rows: number, dim: number, options: UmapOptions): Promise<Float32Array> {
  const { UMAP } = await import('umap-js');
  const rng = new Rng(options.seed ?? 0);
  const umap = new UMAP({ nComponents: 2, nEpochs: options.epochs, nNeighbors: Math.min(15, rows - 1), random: () => rng.float() });
  const vectors = Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
  const total = umap.initializeFit(vectors);
  for (let done = 0; done < total;) {
    if (options.cancelled?.()) throw new UmapCancelled();
    for (let k = 0; k < EPOCHS_PER_TURN && done < total; k++) done = umap.step();
    options.onProgress?.(done, total);
    await new Promise((r) => setTimeout(r, 0)); // a macrotask turn: a cancel message can arrive
  }
  return Float32Array.from(umap.getEmbedding().flat());
}
