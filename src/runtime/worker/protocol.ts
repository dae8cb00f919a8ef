/** Messages between the page and the training worker. Plain data only (structured clone). */
import type { BackendChoice } from '../tf/backends';
import type { StepMetrics } from '../program';

export interface RunSettings {
  steps: number;
  batchSize: number;
  backend: BackendChoice;
  seed: number;
  /** kNN evaluation every N steps (0: only at the end of the run, when it completes). */
  evalEvery: number;
  /** Fault injection (the page's `?inject-nan-at=K`): step K's loss is made NaN, to exercise the failure path. */
  injectNanAt?: number;
}

export type ToWorker =
  | { type: 'start'; doc: string; settings: RunSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'encoder'; format: EncoderFormat };

/** safetensors: encoder.safetensors (PyTorch names and layout); tfjs: model.json + weights.bin (a LayersModel). */
export type EncoderFormat = 'safetensors' | 'tfjs';
export interface FileOut { name: string; bytes: Uint8Array }

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'backend'; name: string; reason: string }
  | { type: 'step'; metrics: StepMetrics; totalSteps: number; numTensors: number }
  | { type: 'eval'; step: number; knnTop1: number }
  | { type: 'done'; reason: 'completed' | 'stopped' }
  | { type: 'failed'; message: string; step?: number }
  | { type: 'encoder'; files: FileOut[]; message?: string };
