import { defineMlpKind } from './mlp';

/**
 * q / h: "The prediction MLP (h) has BN applied to its hidden fc layers. Its
 * output fc does not have BN or ReLU. This MLP has 2 layers. … h's hidden
 * layer's dimension is 512, making h a bottleneck structure" (Chen & He 2020,
 * SimSiam §3). Without it, SimSiam "does not work" (§4.2, Table 1).
 */
export const predictor = defineMlpKind({
  type: 'predictor',
  title: 'Predictor',
  doc: 'Prediction MLP h: predicts the other view’s embedding; without it SimSiam collapses.',
  citation: 'Chen & He 2020 (SimSiam) §3, §4.2; Grill et al. 2020 (BYOL) §3.1',
  defaults: { hiddenDim: 512, outputDim: 2048, layers: 2, lastBatchNorm: 'none' },
  traits: { predictor: true },
});
