/**
 * What a graph trains on, read one way everywhere (the PyTorch exporter, the
 * browser's worker and its data chooser): the node whose kind is a data
 * source, and what its params ask for after their schema (defaults filled in).
 */
import type { GraphDoc } from '../graph';
import type { DataSource } from './dataset';
import { catalog as builtIn, type NodeCatalog } from './index';

export interface GraphDataSource {
  node: string;
  /** Undefined where the node's params fail their schema (the graph has an error then). */
  source: DataSource | undefined;
}

/** The first data source node of the graph, or undefined where it has none. */
export function dataSourceOf(doc: GraphDoc, catalog: NodeCatalog = builtIn): GraphDataSource | undefined {
  for (const node of doc.nodes) {
    const kind = catalog.get(node.type);
    if (!kind?.dataSource) continue;
    const parsed = kind.params.safeParse(node.params);
    return { node: node.id, source: parsed.success ? kind.dataSource(parsed.data) : undefined };
  }
  return undefined;
}
