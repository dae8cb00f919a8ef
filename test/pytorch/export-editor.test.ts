/**
 * Graphs built the way a person builds them in the editor — dragged from the
 * palette, so every node's id is its kind (`augment`, `encoder`, `loss`, …) —
 * export to scripts that train on real Fashion-MNIST (/usr/bin/python3).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { errorsOf, parseGraph, serializeGraph, type GraphDoc } from '../../src/graph';
import { validate } from '../../src/nodes';
import { addNode, connect, emptyDocument, updateNode } from '../../src/editor/document/edits';
import { encoderTensors } from '../../src/runtime/export';
import { compile } from '../../src/runtime/program';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import { FMNIST, PYTHON, records } from '../helpers/python';
import { syntheticDataset, tfOn } from '../helpers/runtime';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'export-editor-'));

/** Palette drops and wire drags, each through the editor's own edit. */
function drawn(name: string, build: (add: (type: string) => string, wire: (from: string, port: string, to: string, toPort: string) => void) => void) {
  let doc = emptyDocument(name);
  build(
    (type) => {
      const r = addNode(doc, type, { x: 0, y: 0 });
      doc = r.doc;
      return r.id;
    },
    (from, port, to, toPort) => {
      const r = connect(doc, { node: from, port }, { node: to, port: toPort });
      if ('refused' in r) throw new Error(`${from}.${port} → ${to}.${toPort} refused: ${r.refused}`);
      doc = r.doc;
    },
  );
  return (patch?: (d: GraphDoc) => GraphDoc) => (patch ? patch(doc) : doc);
}

const simsiam = () => drawn('SimSiam', (add, wire) => {
  const [data, aug, enc, proj, pred, sg, loss] = ['dataset', 'augment', 'encoder', 'projector', 'predictor', 'stop-gradient', 'loss'].map(add);
  wire(data, 'images', aug, 'input');
  wire(aug, 'views', enc, 'input');
  wire(enc, 'output', proj, 'input');
  wire(proj, 'output', pred, 'input');
  wire(proj, 'output', sg, 'input');
  wire(pred, 'output', loss, 'prediction');
  wire(sg, 'output', loss, 'target');
})();

const byol = () => drawn('BYOL', (add, wire) => {
  const [data, aug, enc, proj, pred, encT, projT, emaEnc, emaProj, sg, loss] =
    ['dataset', 'augment', 'encoder', 'projector', 'predictor', 'encoder', 'projector', 'ema', 'ema', 'stop-gradient', 'loss'].map(add);
  wire(data, 'images', aug, 'input');
  wire(aug, 'views', enc, 'input');
  wire(enc, 'output', proj, 'input');
  wire(proj, 'output', pred, 'input');
  wire(pred, 'output', loss, 'prediction');
  wire(aug, 'views', encT, 'input');
  wire(encT, 'output', projT, 'input');
  wire(projT, 'output', sg, 'input');
  wire(sg, 'output', loss, 'target');
  wire(enc, 'weights', emaEnc, 'online');
  wire(emaEnc, 'target', encT, 'weights');
  wire(proj, 'weights', emaProj, 'online');
  wire(emaProj, 'target', projT, 'weights');
})((doc) => updateNode(doc, 'loss', { params: { ...doc.nodes.find((n) => n.id === 'loss')!.params, objective: 'normalized-l2' } }));

describe('export-pytorch of graphs drawn in the editor', () => {
  it('the palette gives ids equal to the kinds, and the graphs are valid', () => {
    expect(simsiam().nodes.map((n) => n.id)).toEqual(['dataset', 'augment', 'encoder', 'projector', 'predictor', 'stop-gradient', 'loss']);
    expect(byol().nodes.map((n) => n.id)).toEqual(['dataset', 'augment', 'encoder', 'projector', 'predictor', 'encoder-2', 'projector-2', 'ema', 'ema-2', 'stop-gradient', 'loss']);
    for (const doc of [simsiam(), byol()]) expect(errorsOf(validate(doc).problems)).toEqual([]);
  });

  it.each([['SimSiam', simsiam], ['BYOL', byol]] as const)('%s: 2 steps on Fashion-MNIST, and encoder.safetensors holds the runtime\'s names', async (name, make) => {
    const doc = make();
    const script = join(dir, `${name}.py`);
    const out = join(dir, name);
    writeFileSync(script, exportPytorch(doc));
    const { stdout } = await run(PYTHON, [script, '--data', FMNIST, '--steps', '2', '--batch', '8', '--out', out], { cwd: dir });
    const steps = records(stdout);
    expect(steps.map((r) => r.step ?? 'done')).toEqual([1, 2, 'done']);
    for (const r of steps.slice(0, 2)) expect(Number.isFinite(r.loss), JSON.stringify(r)).toBe(true);
    if (name === 'BYOL') expect(steps[0].tau).toBeGreaterThan(0.9);

    // the encoder's own state-dict keys, as the runtime names them (no attribute prefix)
    const saved = Object.keys(decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors')))).tensors).sort();
    await tfOn('cpu');
    const program = compile(doc, { dataset: syntheticDataset(), batchSize: 8, steps: 2 });
    try {
      program.init(1);
      expect(saved).toEqual(Object.keys(await encoderTensors(program)).sort());
    } finally {
      program.dispose();
    }
    expect(saved).toContain('blocks.0.conv.weight');
  }, 180_000);

  it('the same graph exports to the same script: twice, and after a save and reload (sorted keys)', () => {
    for (const doc of [simsiam(), byol()]) {
      const text = exportPytorch(doc);
      expect(exportPytorch(structuredClone(doc))).toBe(text);
      const reloaded = parseGraph(serializeGraph(doc));
      if (!reloaded.ok) throw new Error(JSON.stringify(reloaded.errors));
      expect(exportPytorch(reloaded.doc)).toBe(text);
      const shuffled = structuredClone(doc);
      for (const n of shuffled.nodes) n.params = Object.fromEntries(Object.entries(n.params).reverse()) as typeof n.params;
      expect(exportPytorch(shuffled)).toBe(text);
    }
  });
});
