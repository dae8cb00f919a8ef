/** The encoder's architectures as tfjs LayersModel layers, in the runtime's parameter names (blocks.0.conv → blocks_0_conv). */
import { assertNever } from '../graph';
import type { EncoderParams } from './encoder';
import type { LayersNet } from './layers-net';
import { resnetWidths } from './nn/resnet';

export function encoderLayers(params: EncoderParams, net: LayersNet, input: string): string {
  let x = input;
  switch (params.arch) {
    case 'conv':
      params.widths.forEach((width, i) => {
        x = net.conv(`blocks_${i}_conv`, x, 3, width, params.strides[i]);
        if (params.batchNorm) x = net.bn(`blocks_${i}_bn`, x);
        x = net.relu(`blocks_${i}_relu`, x);
      });
      break;
    case 'resnet18': {
      const widths = resnetWidths(params.widthMultiplier);
      x = net.relu('stem_relu', net.bn('bn1', net.conv('conv1', x, params.cifarStem ? 3 : 7, widths[0], params.cifarStem ? 1 : 2)));
      if (!params.cifarStem) {
        x = net.layer('ZeroPadding2D', 'stem_pool_pad', { padding: [[1, 1], [1, 1]], data_format: 'channels_last' }, [x]);
        x = net.layer('MaxPooling2D', 'stem_pool', { pool_size: [3, 3], strides: [2, 2], padding: 'valid', data_format: 'channels_last' }, [x]);
      }
      let cin = widths[0];
      widths.forEach((width, stage) => {
        for (let i = 0; i < 2; i++) {
          const stride = stage > 0 && i === 0 ? 2 : 1;
          const p = `layer${stage + 1}_${i}`;
          const h = net.relu(`${p}_relu1`, net.bn(`${p}_bn1`, net.conv(`${p}_conv1`, x, 3, width, stride)));
          const out = net.bn(`${p}_bn2`, net.conv(`${p}_conv2`, h, 3, width, 1));
          const shortcut = stride !== 1 || cin !== width ? net.bn(`${p}_downsample_1`, net.conv(`${p}_downsample_0`, x, 1, width, stride)) : x;
          x = net.relu(`${p}_relu2`, net.layer('Add', `${p}_add`, {}, [out, shortcut]));
          cin = width;
        }
      });
      break;
    }
    default:
      assertNever(params, 'encoder arch');
  }
  return net.layer('GlobalAveragePooling2D', 'features', { data_format: 'channels_last' }, [x]);
}
