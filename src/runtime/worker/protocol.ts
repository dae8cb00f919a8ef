/** Messages between the page and the training worker. Plain data only (structured clone). */
import type { BackendChoice } from '../tf/backends';
import type { CheckpointFiles } from '../checkpoint';
import type { StepMetrics } from '../program';

export interface RunSettings {
  steps: number;
  batchSize: number;
  backend: BackendChoice;
  seed: number;
  /** kNN evaluation every N steps (0: only at the end of the run, when it completes). */
  evalEvery: number;
  /** A checkpoint goes to the page after step 1 and every N steps (to continue elsewhere after a failure). */
  checkpointEvery: number;
  /** Fault injection (the page's `?inject-nan-at=K`): step K's loss is made NaN, to exercise the failure path. */
  injectNanAt?: number;
  /** Fault injection (the page's `?lose-device-at=K`): the WebGPU device is destroyed before step K. */
  loseDeviceAt?: number;
}

export type ToWorker =
  | { type: 'start'; doc: string; settings: RunSettings; resume?: CheckpointFiles }
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
  | { type: 'checkpoint'; step: number; files: CheckpointFiles }
  | { type: 'failed'; message: string; step?: number; deviceLost?: boolean }
  | { type: 'encoder'; files: FileOut[]; message?: string };
