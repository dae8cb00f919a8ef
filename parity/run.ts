/**
 * npm run parity: prints the tfjs ↔ PyTorch parity table of each template, the
 * PyTorch side under each CPU kernel set this machine can run; exit 1 if any
 * check fails.
 */
import { readFileSync } from 'node:fs';
import { parseGraph } from '../src/graph';
import { loadDatasetSpec } from '../src/runtime/data/node';
import { loadTfNode } from '../src/runtime/tf/node';
import { cpuSettings, formatTable, parity } from './harness';

const tf = await loadTfNode();
await tf.setBackend(process.env.PARITY_BACKEND ?? 'wasm');
const dataset = await loadDatasetSpec('fashion-mnist');
let failed = false;
for (const name of ['simsiam', 'byol']) {
  const r = parseGraph(readFileSync(new URL(`../templates/${name}.json`, import.meta.url), 'utf8'));
  if (!r.ok) throw new Error(`templates/${name}.json does not parse`);
  for (const [label, rows] of await parity(tf, r.doc, dataset, cpuSettings())) {
    console.log(formatTable(`${r.doc.name}: tfjs (${tf.getBackend()}) vs PyTorch (CPU, ${label}), batch 4, fixed views`, rows));
    failed ||= rows.some((row) => !row.ok);
  }
}
process.exitCode = failed ? 1 : 0;
