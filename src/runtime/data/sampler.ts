/** Batches of indices: a fresh seeded permutation every epoch, batches never straddle epochs' ends. */
import { Rng, type RngState } from '../../nodes/nn/rng';

export interface SamplerState {
  rng: RngState;
  order: number[] | null;
  position: number;
}

export class BatchSampler {
  private order: Uint32Array | null = null;
  private position = 0;

  constructor(readonly count: number, readonly batchSize: number, private rng: Rng) {
    if (batchSize > count) throw new Error(`batch size ${batchSize} is larger than the dataset (${count} images)`);
  }

  next(): Uint32Array {
    if (!this.order || this.position + this.batchSize > this.count) {
      this.order = this.rng.permutation(this.count);
      this.position = 0;
    }
    const batch = this.order.subarray(this.position, this.position + this.batchSize);
    this.position += this.batchSize;
    return batch;
  }

  state(): SamplerState {
    return { rng: this.rng.state(), order: this.order ? Array.from(this.order) : null, position: this.position };
  }

  /** Restores a saved state after checking it fits this dataset; a bad one throws, naming its field, and changes nothing. */
  restore(s: SamplerState): void {
    const { count } = this;
    if (s.order) {
      if (s.order.length !== count) throw new Error(`sampler.order: has ${s.order.length} entries, but the dataset has ${count} images: was the checkpoint made with other data?`);
      const seen = new Uint8Array(count);
      for (const i of s.order) {
        if (!(i < count) || seen[i]) throw new Error(`sampler.order: is not an order of the dataset's ${count} images (${i} is out of range or repeated)`);
        seen[i] = 1;
      }
    }
    if (s.position > (s.order ? count : 0)) throw new Error(`sampler.position: ${s.position} is past the end of the data order (${s.order ? count : 0})`);
    this.rng = new Rng(s.rng);
    this.order = s.order ? Uint32Array.from(s.order) : null;
    this.position = s.position;
  }
}

/** Gathers images by index into floats in [0, 1], NHWC. */
export function gatherImages(images: Uint8Array, perImage: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * perImage);
  for (let i = 0; i < indices.length; i++) {
    const base = indices[i] * perImage;
    for (let p = 0; p < perImage; p++) out[i * perImage + p] = images[base + p] / 255;
  }
  return out;
}
