/** Issue 4's acceptance in Chromium: building, wiring, editing, undo, import/export, autosave. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGraph, serializeGraph } from '../../src/graph';
import { validate } from '../../src/nodes';
import { template } from '../helpers/docs';
import type { Studio } from '../helpers/browser';
import { canvasReady, clickNode, dragWire, dropKind, exportDocument, loadTemplate, nodeLocator, openEditor, setParam, shapeOf } from '../helpers/editor';

const simsiamText = readFileSync(new URL('../../templates/simsiam.json', import.meta.url), 'utf8');

describe('the editor in Chromium', () => {
  let studio: Studio;
  const dialogs: string[] = [];
  beforeAll(async () => {
    studio = await openEditor();
    studio.page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  });
  afterAll(async () => { await studio?.close(); });

  it('builds SimSiam from an empty canvas with the mouse: drag, wire, inspector; the export equals the template up to ids and positions', async () => {
    const { page } = studio;
    await page.getByTestId('new').click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(0);
    const place: [string, number, number][] = [
      ['dataset', 40, 40], ['augment', 310, 40], ['encoder', 580, 40], ['projector', 850, 40],
      ['predictor', 310, 330], ['stop-gradient', 580, 330], ['loss', 850, 330],
    ];
    for (const [type, x, y] of place) await dropKind(page, type, x, y);
    expect(await page.getByTestId('node').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type))).toEqual(place.map(([t]) => t));
    // Dropped where the pointer was: the encoder's box starts near (580, 40) in the canvas.
    const canvasBox = (await page.getByTestId('canvas').boundingBox())!;
    const encBox = (await nodeLocator(page, 'encoder').boundingBox())!;
    expect(Math.abs(encBox.x - canvasBox.x - 560)).toBeLessThan(60);

    const wires: [[string, string], [string, string]][] = [
      [['dataset', 'images'], ['augment', 'input']],
      [['augment', 'views'], ['encoder', 'input']],
      [['encoder', 'output'], ['projector', 'input']],
      [['projector', 'output'], ['predictor', 'input']],
      [['projector', 'output'], ['stop-gradient', 'input']],
      [['predictor', 'output'], ['loss', 'prediction']],
      [['stop-gradient', 'output'], ['loss', 'target']],
    ];
    for (const [from, to] of wires) await dragWire(page, from, to);
    await expect.poll(() => page.getByTestId('connection').count()).toBe(7);

    const edits: [string, [string, string][]][] = [
      ['augment', [['size', '28'], ...[0, 1].flatMap((v) => [[`views.${v}.blurP`, '0'], [`views.${v}.cropScale`, '0.2, 1'], [`views.${v}.grayscaleP`, '0'], [`views.${v}.hue`, '0'], [`views.${v}.saturation`, '0']] as [string, string][]), ['views.1.solarizeP', '0']]],
      ['projector', [['hiddenDim', '512'], ['layers', '2'], ['outputDim', '128']]],
      ['predictor', [['hiddenDim', '64'], ['outputDim', '128']]],
    ];
    for (const [id, fields] of edits) {
      await clickNode(page, id);
      for (const [name, value] of fields) await setParam(page, name, value);
    }
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    // Each port shows its inferred shape.
    expect(await nodeLocator(page, 'projector').locator('[data-testid=output-output] [data-testid=shape]').textContent()).toBe('2×B×128');

    const { name, text } = await exportDocument(page);
    expect(name).toBe('untitled.json');
    const parsed = parseGraph(text);
    if (!parsed.ok) throw new Error(parsed.errors[0].message);
    expect(validate(parsed.doc).problems).toEqual([]);
    expect(shapeOf(text)).toEqual(shapeOf(simsiamText));
  });

  it('loads BYOL; export → import → export gives byte-identical files', async () => {
    const { page } = studio;
    await loadTemplate(page, 'byol');
    expect(await page.getByTestId('node').count()).toBe(11);
    const first = await exportDocument(page);
    expect(first.name).toBe('byol.json');
    expect(first.text).toBe(serializeGraph(template('byol')));
    expect(await page.locator('[data-testid=connection][data-kind=weights]').count()).toBe(4);
    await page.getByTestId('import-json').setInputFiles({ name: 'byol.json', mimeType: 'application/json', buffer: Buffer.from(first.text) });
    await expect.poll(() => page.getByTestId('toast').last().textContent()).toContain('Imported "BYOL"');
    expect((await exportDocument(page)).text).toBe(first.text);
  });

  it('refuses an incompatible wire with the validator\'s message and keeps the existing wires', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    // features (projector output) → images (the encoder's input, which is wired already)
    await dragWire(page, ['proj', 'output'], ['enc_t', 'input']);
    await expect.poll(() => page.getByTestId('toast').last().textContent()).toContain('features → images: incompatible kinds');
    expect((await exportDocument(page)).text).toBe(before);
    expect(await page.getByTestId('connection').count()).toBe(13);
  });
});
