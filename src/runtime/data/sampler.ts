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

  restore(s: SamplerState): void {
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
