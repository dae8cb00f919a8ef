/**
 * What a kind's `layersModel` sees of the tfjs LayersModel writer
 * (src/runtime/tfjs-model.ts): Keras layers added by name, each call
 * returning the new layer's name. Weights are read by the runtime's names
 * (the layer name with '_' → '.').
 */
export interface LayersNet {
  /** A k×k convolution without bias, with PyTorch's symmetric padding (ZeroPadding2D + 'valid'). */
  conv(prefix: string, from: string, k: number, filters: number, stride: number): string;
  /** BatchNorm with affine parameters and running statistics, as the runtime's. */
  bn(prefix: string, from: string): string;
  relu(name: string, from: string): string;
  /** Any other Keras layer, without weights. */
  layer(className: string, name: string, config: Record<string, unknown>, inputs: string[]): string;
}
