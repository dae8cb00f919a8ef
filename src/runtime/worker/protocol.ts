/** Messages between the page and the training worker. Plain data only (structured clone). */
import type { BackendChoice } from '../tf/backends';
import type { CheckpointFiles } from '../checkpoint';
import type { ImageFile } from '../data/image-folder';
import type { StepMetrics } from '../program';

/** Periodic evaluations in the browser look at most this far (the whole 10k split takes a minute on 2 cores); the final one uses the document's sizes. */
export const PERIODIC_EVAL_CAP = { bank: 2000, queries: 1000 } as const;

export interface RunSettings {
  steps: number;
  batchSize: number;
  backend: BackendChoice;
  seed: number;
  /** kNN evaluation every N steps (at most 2,000 bank / 1,000 queries) and at the last step (the document's sizes); 0: none. */
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
  | { type: 'encoder'; format: EncoderFormat };

/** safetensors: encoder.safetensors (PyTorch names and layout); tfjs: model.json + weights.bin (a LayersModel). */
export type EncoderFormat = 'safetensors' | 'tfjs';
export interface FileOut { name: string; bytes: Uint8Array }

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'backend'; name: string; reason: string; /** wasm threads: the fewer of XNNPACK's pool and our kernels'. */ threads?: number }
  | { type: 'step'; metrics: StepMetrics; totalSteps: number; numTensors: number }
  /** An evaluation begins (it takes seconds): `queries` test images against a bank of `bank` train images; the final one on the document's sizes. */
  | { type: 'evaluating'; step: number; queries: number; bank: number; final: boolean }
  | { type: 'eval'; step: number; knnTop1: number }
  | { type: 'done'; reason: 'completed' | 'stopped' }
  | { type: 'checkpoint'; step: number; files: CheckpointFiles }
  | { type: 'data'; name: string; count: number; note?: string }
  /** The preview: the originals and each view, [1 + V, N, H, W, C] values in 0..1. */
  | { type: 'preview'; pixels: Float32Array; shape: number[] }
  | { type: 'failed'; message: string; step?: number; deviceLost?: boolean }
  | { type: 'encoder'; files: FileOut[]; message?: string };
