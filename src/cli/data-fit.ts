/**
 * Data the graph cannot train on, refused before any tensor work with the
 * flag that chose it: images with another channel count than the graph's
 * data sources (their role) give, or fewer training images than one batch.
 */
import type { GraphDoc } from '../graph';
import { validate } from '../nodes';
import type { Dataset } from '../runtime/data/dataset';
import { CliError } from './io';

export function checkDataFits(doc: GraphDoc, dataset: Dataset, batchSize: number, flags: { data: string; batch?: number }): void {
  const { train } = dataset;
  const { shapes, traits } = validate(doc);
  for (const node of doc.nodes) {
    const source = traits.get(node.id)?.dataset;
    if (!source) continue;
    const shape = shapes.get(node.id)?.outputs[source.output];
    const dims = shape?.kind === 'tensor' ? shape.dims : [];
    const channels = dims[dims.length - 1];
    if (typeof channels === 'number' && channels !== train.channels) {
      throw new CliError(`--data ${flags.data}: its images are ${train.height}×${train.width}×${train.channels}, but node "${node.id}" of the graph gives ${dims.slice(2).join('×')}: the channel counts must match`);
    }
  }
  if (batchSize > train.count) {
    const batch = flags.batch !== undefined ? `--batch ${batchSize}` : `the document's training.batchSize (${batchSize})`;
    throw new CliError(`${batch} is larger than the data: --data ${flags.data} has ${train.count} training images`);
  }
}
