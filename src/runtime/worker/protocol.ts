/** Messages between the page and the training worker. Plain data only (structured clone). */
import type { BackendChoice } from '../tf/backends';
import type { CheckpointFiles } from '../checkpoint';
import type { ImageFile } from '../data/image-folder';
import type { NodeStateFigure, StepMetrics } from '../program';

/** kNN in the browser looks at most this far (the whole 10k split, as bank and as queries, takes a minute on 2 cores); the CLI takes the document's sizes. */
export const EVAL_CAP = { bank: 2000, queries: 1000 } as const;
/** The linear probe in the browser: the first 1000 test images, classified after training on 5000 train images (never the same ones). */
export const PROBE_CAP = { train: 5000, test: 1000 } as const;

export interface RunSettings {
  steps: number;
  batchSize: number;
  backend: BackendChoice;
  seed: number;
  /** kNN evaluation every N steps and at the last step (0: none), on at most EVAL_CAP's sizes. */
  evalEvery: number;
  /** A checkpoint goes to the page after step 1 and every N steps (to continue elsewhere after a failure). */
  checkpointEvery: number;
  /** Fault injection (the page's `?inject-nan-at=K`): step K's loss is made NaN, to exercise the failure path. */
  injectNanAt?: number;
  /** Fault injection (the page's `?lose-device-at=K`): the WebGPU device is destroyed before step K. */
  loseDeviceAt?: number;
  /** Fault injection (the page's `?crash-worker-at=K`): an uncaught error in the worker before step K. */
  crashAt?: number;
}

/** Data from the user's disk: dataset files (Fashion-MNIST IDX, CIFAR-10 binary batches), or a folder of images. Absent: the embedded set. */
export type DataInput = { kind: 'files'; files: FileOut[] } | { kind: 'images'; files: ImageFile[] };

export type ToWorker =
  | { type: 'start'; doc: string; settings: RunSettings; data?: DataInput; resume?: CheckpointFiles }
  | { type: 'preview'; doc: string; data?: DataInput; seed: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'encoder-files'; format: EncoderFormat }
  /** The linear probe of the run's encoder (its current weights), on PROBE_CAP's images. */
  | { type: 'probe' }
  /** UMAP of the last rank step's probe-set features (or projector output), `epochs` epochs; its replies carry `id`; a newer request or umap-cancel stops it. */
  | { type: 'umap'; id: number; space: EmbeddingSpace; epochs: number }
  | { type: 'umap-cancel' };

/** Which output of the probe set the embedding view shows: the encoder's features or the projector's z. */
export type EmbeddingSpace = 'features' | 'z';
/** One space's 2-D PCA (embedding.ts): N×2 points, σ₁ and σ₂, and the spread σ₂/σ₁. */
export interface PcaOut { points: Float32Array; singular: [number, number]; spread: number }

/** safetensors: encoder.safetensors (PyTorch names and layout); tfjs: model.json + weights.bin (a LayersModel). */
export type EncoderFormat = 'safetensors' | 'tfjs';
export interface FileOut { name: string; bytes: Uint8Array }

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'backend'; name: string; reason: string; /** wasm threads: the fewer of XNNPACK's pool and our kernels'. */ threads?: number }
  /** `state`: what each node's training state holds after this step, where its kind declares a figure. */
  | { type: 'step'; metrics: StepMetrics; totalSteps: number; numTensors: number; state: NodeStateFigure[] }
  /** An evaluation begins (it takes seconds): `queries` test images against a bank of `bank` train images: every N steps, and a final one at the last step. */
  | { type: 'evaluating'; step: number; queries: number; bank: number; final: boolean }
  | { type: 'eval'; step: number; knnTop1: number }
  | { type: 'done'; reason: 'completed' | 'stopped' }
  | { type: 'checkpoint'; step: number; files: CheckpointFiles }
  | { type: 'data'; name: string; count: number; note?: string }
  /** The preview: the originals and each view, [1 + V, N, H, W, C] values in 0..1. */
  | { type: 'preview'; pixels: Float32Array; shape: number[] }
  | { type: 'failed'; message: string; step?: number; deviceLost?: boolean }
  | { type: 'encoder-files'; files: FileOut[]; message?: string }
  /** The probe under way: encoding the images (iteration 0), then each L-BFGS iteration. */
  | { type: 'probe-progress'; iteration: number; maxIterations: number; loss?: number }
  | { type: 'probe'; step: number; top1: number; train: number; test: number; iterations: number; stop: string }
  | { type: 'probe-failed'; message: string }
  /** The probe set in 2-D at a rank step; its labels and class names with a run's first one only (the page keeps them). */
  | { type: 'embedding'; step: number; features: PcaOut; z: PcaOut; labels?: Uint8Array; classNames?: string[] }
  | { type: 'umap-progress'; id: number; epoch: number; epochs: number }
  | { type: 'umap'; id: number; step: number; points: Float32Array }
  /** UMAP ended without points: cancelled, or why it failed. */
  | { type: 'umap-failed'; id: number; message: string; cancelled: boolean };
