import { loadTfNode } from './src/runtime/tf/node';
import { selectBackend } from './src/runtime/tf/backends';
import { compile } from './src/runtime/program';
import { loadDatasetSpec } from './src/runtime/data/node';
import { parseGraph } from './src/graph';
import { readFileSync } from 'node:fs';
const tf = await loadTfNode();
const data = await loadDatasetSpec('fashion-mnist');
console.log('data', data.train.count, data.test.count);
for (const backend of process.argv.slice(2)) {
  await selectBackend(tf, backend as never);
  for (const name of ['simsiam', 'byol']) {
    const r = parseGraph(readFileSync(`templates/${name}.json`, 'utf8'));
    if (!r.ok) throw new Error();
    const p = compile(r.doc, { dataset: data, batchSize: 32, steps: 20 });
    p.init();
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      const m = await p.step();
      console.log(backend, name, JSON.stringify(m), Date.now() - t0, 'ms', tf.memory().numTensors);
    }
    p.dispose();
    console.log('after dispose', tf.memory().numTensors);
  }
}
