/**
 * ResNet-18 (He et al. 2016, "Deep Residual Learning", Table 1) with
 * BasicBlocks, torchvision's parameter names, and SimSiam's CIFAR variant
 * of the stem: "the first layer is a 3×3 conv with stride 1 and no max-pooling"
 * (Chen & He 2020, §D). Stage widths 64-128-256-512 are scaled by a multiplier.
 */
import type { BuildContext, LayerEnv, Tensor, Tensor4D, Tf } from '../build';
import { applyBatchNorm, applyConv, batchNorm, conv, type BatchNorm, type Conv } from './layers';

interface BasicBlock {
  conv1: Conv;
  bn1: BatchNorm;
  conv2: Conv;
  bn2: BatchNorm;
  downsample?: { conv: Conv; bn: BatchNorm };
}

export const resnetWidths = (multiplier: number) => [64, 128, 256, 512].map((w) => Math.max(1, Math.round(w * multiplier)));

export function buildResNet18(ctx: BuildContext<unknown>, inChannels: number, multiplier: number, cifarStem: boolean) {
  const widths = resnetWidths(multiplier);
  const stem = cifarStem ? conv(ctx, 'conv1', 3, inChannels, widths[0], 1) : conv(ctx, 'conv1', 7, inChannels, widths[0], 2);
  const stemBn = batchNorm(ctx, 'bn1', widths[0]);
  const blocks: BasicBlock[] = [];
  let cin = widths[0];
  widths.forEach((width, stage) => {
    for (let i = 0; i < 2; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const name = `layer${stage + 1}.${i}`;
      blocks.push({
        conv1: conv(ctx, `${name}.conv1`, 3, cin, width, stride),
        bn1: batchNorm(ctx, `${name}.bn1`, width),
        conv2: conv(ctx, `${name}.conv2`, 3, width, width, 1),
        bn2: batchNorm(ctx, `${name}.bn2`, width),
        downsample: stride !== 1 || cin !== width
          ? { conv: conv(ctx, `${name}.downsample.0`, 1, cin, width, stride), bn: batchNorm(ctx, `${name}.downsample.1`, width) }
          : undefined,
      });
      cin = width;
    }
  });
  /** Views folded into the batch, [V·B, H, W, C] → features [V·B, C]. */
  return (tf: Tf, x: Tensor, views: number, env: LayerEnv): Tensor => {
    const bn = (b: BatchNorm, t: Tensor) => applyBatchNorm(tf, b, t, views, env);
    let h = tf.relu(bn(stemBn, applyConv(tf, stem, x)));
    if (!cifarStem) h = tf.maxPool(h as Tensor4D, 3, 2, 1);
    for (const block of blocks) {
      const out = bn(block.bn2, applyConv(tf, block.conv2, tf.relu(bn(block.bn1, applyConv(tf, block.conv1, h)))));
      const shortcut = block.downsample ? bn(block.downsample.bn, applyConv(tf, block.downsample.conv, h)) : h;
      h = tf.relu(tf.add(out, shortcut));
    }
    return tf.mean(h, [1, 2]);
  };
}
