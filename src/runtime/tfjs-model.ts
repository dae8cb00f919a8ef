/**
 * The trained encoder as tfjs model files: a Keras-style functional
 * LayersModel (model.json + weights.bin) that `tf.loadLayersModel` reads,
 * computing the encoder's eval-mode features. PyTorch-style symmetric
 * padding becomes ZeroPadding2D + a 'valid' convolution. Layer names are the
 * runtime's parameter names with '.' → '_' (blocks.0.conv → blocks_0_conv).
 */
import type { NodeKind } from '../nodes/kind';
import { BN_EPS } from '../nodes/nn/layers';

interface Layer {
  class_name: string;
  config: Record<string, unknown>;
  name: string;
  inbound_nodes: Array<Array<[string, number, number, Record<string, never>]>>;
}

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
}

/** Encoder variables by their names in the runtime (e.g. "blocks.0.conv.weight"), tfjs layout. */
export type EncoderWeights = Map<string, { data: Float32Array; shape: number[] }>;

/** The encoder `kind` with `params` (its `layersModel` says its layers) on images H×W×C `input`. */
export function encoderModelFiles<P>(kind: NodeKind<P>, params: P, input: [number, number, number], weights: EncoderWeights, tfjsVersion: string): ModelFiles {
  if (!kind.layersModel) throw new Error(`encoder export: a ${kind.title} has no tfjs LayersModel form`);
  const layers: Layer[] = [];
  const manifest: Array<{ name: string; shape: number[]; dtype: 'float32' }> = [];
  const chunks: Float32Array[] = [];
  const add = (className: string, name: string, config: Record<string, unknown>, inputs: string[]) => {
    layers.push({
      class_name: className, name, config: { name, trainable: true, ...config },
      inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])] : [],
    });
    return name;
  };
  const weight = (layer: string, kerasName: string, runtimeName: string) => {
    const w = weights.get(runtimeName);
    if (!w) throw new Error(`encoder export: no weight ${runtimeName}`);
    manifest.push({ name: `${layer}/${kerasName}`, shape: w.shape, dtype: 'float32' });
    chunks.push(w.data);
  };
  const conv = (prefix: string, from: string, k: number, filters: number, stride: number) => {
    const pad = (k - 1) >> 1;
    const padded = pad ? add('ZeroPadding2D', `${prefix}_pad`, { padding: [[pad, pad], [pad, pad]], data_format: 'channels_last' }, [from]) : from;
    const name = add('Conv2D', prefix, {
      filters, kernel_size: [k, k], strides: [stride, stride], padding: 'valid', data_format: 'channels_last',
      dilation_rate: [1, 1], activation: 'linear', use_bias: false,
    }, [padded]);
    weight(name, 'kernel', `${prefix.replace(/_/g, '.')}.weight`);
    return name;
  };
  const bn = (prefix: string, from: string) => {
    const name = add('BatchNormalization', prefix, { axis: -1, momentum: 0.9, epsilon: BN_EPS, center: true, scale: true }, [from]);
    const base = prefix.replace(/_/g, '.');
    weight(name, 'gamma', `${base}.weight`);
    weight(name, 'beta', `${base}.bias`);
    weight(name, 'moving_mean', `${base}.running_mean`);
    weight(name, 'moving_variance', `${base}.running_var`);
    return name;
  };
  const relu = (name: string, from: string) => add('Activation', name, { activation: 'relu' }, [from]);

  const x = kind.layersModel(params, { conv, bn, relu, layer: add }, add('InputLayer', 'input', { batch_input_shape: [null, ...input], dtype: 'float32', sparse: false }, []));

  const model = {
    format: 'layers-model',
    generatedBy: 'siamese-studio',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: { name: 'encoder', layers, input_layers: [['input', 0, 0]], output_layers: [[x, 0, 0]] },
      keras_version: `tfjs-layers ${tfjsVersion}`,
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: manifest }],
  };
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { modelJson: JSON.stringify(model), weightsBin: new Uint8Array(all.buffer) };
}
