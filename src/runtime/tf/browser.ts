/**
 * tfjs in the browser (page or Web Worker): gradients, and the webgpu, wasm
 * and cpu backends. The wasm binaries are located explicitly (NOTES-tfjs.md:
 * without setWasmPaths a worker fetches index.html instead of the .wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerWasmTrainingKernels } from '../kernels/wasm-conv2d-backprop-filter';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
registerWasmTrainingKernels();

export const loadTfBrowser = async (): Promise<typeof tf> => tf;
