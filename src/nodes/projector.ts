import { defineMlpKind } from './mlp';

/**
 * g: "The projection MLP (in f) has BN applied to each fully-connected (fc)
 * layer, including its output fc. Its output fc has no ReLU. The hidden fc is
 * 2048-d. This MLP has 3 layers." (Chen & He 2020, SimSiam §3). BYOL's
 * projector is 2 layers, 4096 → 256, with no BN on the output (Grill et al. 2020, §3.3).
 */
export const projector = defineMlpKind({
  type: 'projector',
  title: 'Projector',
  doc: 'Projection MLP g: features → the embedding z the loss compares.',
  citation: 'Chen & He 2020 (SimSiam) §3; Grill et al. 2020 (BYOL) §3.3',
  defaults: { hiddenDim: 2048, outputDim: 2048, layers: 3, lastBatchNorm: 'non-affine' },
  traits: { embedding: true },
});
