import type { BuildContext, LayerEnv, Tensor, Tf } from '../build';
import { applyBatchNorm, applyConv, batchNorm, conv, type BatchNorm, type Conv } from './layers';

/** The reference workload's encoder: blocks of conv3×3 (no bias) + BatchNorm + ReLU, then global average pooling. */
export function buildConvNet(ctx: BuildContext<unknown>, inChannels: number, widths: number[], strides: number[], withBn: boolean) {
  const blocks: Array<{ conv: Conv; bn?: BatchNorm }> = widths.map((width, i) => ({
    conv: conv(ctx, `blocks.${i}.conv`, 3, i === 0 ? inChannels : widths[i - 1], width, strides[i]),
    bn: withBn ? batchNorm(ctx, `blocks.${i}.bn`, width) : undefined,
  }));
  /** Views folded into the batch, [V·B, H, W, C] → features [V·B, C]. */
  return (tf: Tf, x: Tensor, views: number, env: LayerEnv): Tensor => {
    let h = x;
    for (const block of blocks) {
      h = applyConv(tf, block.conv, h);
      h = block.bn ? applyBatchNorm(tf, block.bn, h, views, env, true) : tf.relu(h);
    }
    return tf.mean(h, [1, 2]);
  };
}
