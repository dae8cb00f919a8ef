/** Issue 4's acceptance in Chromium: building, wiring, editing, undo, import/export, autosave. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('deletes three selected nodes with their wires; one undo brings all back, redo removes them again', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    await clickNode(page, 'pred');
    await clickNode(page, 'sg', true);
    await clickNode(page, 'loss', true);
    expect(await page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id))).toEqual(['pred', 'sg', 'loss']);
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('node').count()).toBe(8);
    expect(await page.getByTestId('connection').count()).toBe(9); // proj→pred, pred→loss, proj_t→sg, sg→loss went with them
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(11);
    expect(await page.getByTestId('connection').count()).toBe(13);
    expect((await exportDocument(page)).text).toBe(before);
    await page.getByTestId('redo').click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(8);
    await page.keyboard.press('Control+Shift+z');
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(11);
  });

  it('restores the graph, viewport and selection exactly after a reload', async () => {
    const { page } = studio;
    await page.keyboard.press('f'); // the last test's clicks panned BYOL's right end into view; its encoders now sit under the palette
    await clickNode(page, 'enc');
    await page.mouse.move(800, 500);
    await page.mouse.wheel(0, -200);
    const before = (await exportDocument(page)).text;
    const transform = () => page.locator('[data-testid=canvas] > div').first().evaluate((el) => (el as HTMLElement).style.transform);
    const view = await transform();
    await expect.poll(() => page.getByTestId('autosave-status').getAttribute('data-state')).toBe('saved');
    await page.reload();
    await canvasReady(page);
    expect((await exportDocument(page)).text).toBe(before);
    expect(await transform()).toBe(view);
    expect(await page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id))).toEqual(['enc']);
  });

  it('refuses a truncated file with the parser\'s message, shows an XSS label as text; no dialog, the graph unchanged', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    await page.getByTestId('import-json').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(before.slice(0, 200)) });
    await expect.poll(() => page.getByTestId('import-errors').textContent()).toContain('broken.json');
    expect(await page.getByTestId('import-errors').textContent()).toMatch(/not-json/);
    expect((await exportDocument(page)).text).toBe(before);

    const newer = JSON.stringify({ ...JSON.parse(before), version: 99 });
    await page.getByTestId('import-json').setInputFiles({ name: 'future.json', mimeType: 'application/json', buffer: Buffer.from(newer) });
    await expect.poll(() => page.getByTestId('import-errors').textContent()).toContain('newer-version');

    const xss = '<img src=x onerror=alert(1)>';
    const doc = JSON.parse(simsiamText);
    doc.nodes[0].label = xss;
    doc.name = `<b>${xss}</b>`;
    await page.getByTestId('import-json').setInputFiles({ name: 'xss.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    const ok = page.getByTestId('confirm-ok');
    if (await ok.isVisible().catch(() => false)) await ok.click();
    await expect.poll(() => nodeLocator(page, 'data').getByTestId('title').textContent()).toBe(xss);
    expect(await page.locator('[data-testid=canvas] img, .toolbar img, .toolbar b').count()).toBe(0);
    expect(await page.getByTestId('doc-name').textContent()).toBe(`<b>${xss}</b>`);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it('refuses a 50 MB file from its size, quickly, leaving the graph as it was', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    const started = Date.now();
    const huge = join(mkdtempSync(join(tmpdir(), 'huge-')), 'huge.json');
    writeFileSync(huge, Buffer.alloc(50_000_000, 32));
    await page.getByTestId('import-json').setInputFiles(huge);
    await expect.poll(() => page.getByTestId('import-errors').textContent()).toContain('too large');
    expect(await page.getByTestId('import-errors').textContent()).toContain('50.0 MB');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await exportDocument(page)).text).toBe(before);
  });

  it('copies and pastes selected nodes with the wires between them, as one undo step', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    await clickNode(page, 'enc');
    await clickNode(page, 'proj', true);
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(() => page.getByTestId('node').count()).toBe(9);
    expect(await page.getByTestId('connection').count()).toBe(8); // enc-2 → proj-2 came along; no wire to the outside
    const pasted = await page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
    expect(pasted).toEqual(['enc-2', 'proj-2']);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
    expect(await page.getByTestId('connection').count()).toBe(7);
  });

  it('adds a node from the context menu with search, and deletes one from its context menu', async () => {
    const { page } = studio;
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.click(canvas.x + 60, canvas.y + canvas.height - 60, { button: 'right' });
    await page.locator('[data-testid=context-menu] input').fill('stop');
    const items = page.getByTestId('context-menu-item');
    expect(await items.allTextContents()).toEqual(['Stop-gradient']);
    await items.first().click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(8);
    expect(await page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type))).toEqual(['stop-gradient']);
    await nodeLocator(page, 'stop-gradient').getByTestId('title').click({ button: 'right' });
    await page.getByTestId('context-menu-item').filter({ hasText: 'Delete' }).click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
  });

  it('inspector: an out-of-range value is refused with its range, a valid one is one undo step, a label renames the node', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    await clickNode(page, 'proj');
    expect(await page.getByTestId('inspector').textContent()).toContain('Chen');
    await setParam(page, 'outputDim', '0');
    await expect.poll(() => page.getByTestId('param-error').textContent()).toContain('between 1 and 65536');
    expect((await exportDocument(page)).text).toBe(before);
    await setParam(page, 'outputDim', '64');
    await expect.poll(() => nodeLocator(page, 'proj').locator('[data-testid=output-output] [data-testid=shape]').textContent()).toBe('2×B×64');
    expect(await page.getByTestId('param-error').count()).toBe(0);
    await page.getByTestId('node-label').fill('my projector');
    await page.getByTestId('node-label').press('Enter');
    await expect.poll(() => nodeLocator(page, 'proj').getByTestId('title').textContent()).toBe('my projector');
    // A label too long for the card is cut with an ellipsis there; its tooltip holds it whole.
    const long = 'the projector g that maps encoder features to the embedding z';
    await page.getByTestId('node-label').fill(long);
    await page.getByTestId('node-label').press('Enter');
    const title = nodeLocator(page, 'proj').getByTestId('title');
    await expect.poll(() => title.getAttribute('title')).toBe(long);
    expect(await title.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    await page.getByTestId('param-lastBatchNorm').selectOption('none');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    for (let i = 0; i < 4; i++) await page.keyboard.press('Control+z');
    await expect.poll(async () => (await exportDocument(page)).text).toBe(before);
  });

  it('marks nodes with errors by a red badge; clicking a problem selects its node', async () => {
    const { page } = studio;
    await clickNode(page, 'sg');
    await page.keyboard.press('Delete');
    const problem = page.locator('[data-testid=problem][data-node=loss]').first();
    await expect.poll(() => problem.textContent()).toContain('target');
    expect(await nodeLocator(page, 'loss').getByTestId('badge-error').textContent()).toBe('1');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await problem.click();
    await expect.poll(() => page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id))).toEqual(['loss']);
    expect(await page.getByTestId('inspector').textContent()).toContain('Loss');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    // The node drawn anew: no badge, and the red border gone with it.
    expect(await nodeLocator(page, 'loss').getByTestId('badge-error').count()).toBe(0);
    expect(await nodeLocator(page, 'loss').evaluate((e) => e.classList.contains('has-errors'))).toBe(false);
  });

  it('box-selects with shift+drag on the background', async () => {
    const { page } = studio;
    await page.getByTestId('fit').click();
    await page.keyboard.press('Escape');
    const boxes = await Promise.all(['data', 'aug'].map(async (id) => (await nodeLocator(page, id).boundingBox())!));
    await page.keyboard.down('Shift');
    await page.mouse.move(Math.min(...boxes.map((b) => b.x)) - 15, Math.min(...boxes.map((b) => b.y)) - 15);
    await page.mouse.down();
    await page.mouse.move(Math.max(...boxes.map((b) => b.x + b.width)) + 5, Math.max(...boxes.map((b) => b.y + b.height)) + 5, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    expect(await page.locator('.studio-node.selected').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id).sort())).toEqual(['aug', 'data']);
  });

  it('auto-arranges (loading elkjs only then) as one undo step', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    const elk: string[] = [];
    page.on('request', (r) => { if (r.url().includes('elkjs')) elk.push(r.url()); });
    await page.getByTestId('auto-arrange').click();
    // elkjs loads on this first use (slower on a cold dev-server cache).
    await expect.poll(async () => (await exportDocument(page)).text, { timeout: 20_000 }).not.toBe(before);
    expect(elk.length).toBeGreaterThan(0);
    const arranged = JSON.parse((await exportDocument(page)).text) as { nodes: { id: string; position: { x: number; y: number } }[] };
    const x = new Map(arranged.nodes.map((n) => [n.id, n.position.x]));
    expect(x.get('data')!).toBeLessThan(x.get('aug')!); // left to right along the wires
    expect(x.get('aug')!).toBeLessThan(x.get('enc')!);
    expect(x.get('pred')!).toBeLessThan(x.get('loss')!);
    await page.getByTestId('undo').click();
    await expect.poll(async () => (await exportDocument(page)).text).toBe(before);
  });

  it('"New" clears the canvas with undo; pasting a document\'s text imports it', async () => {
    const { page } = studio;
    await page.getByTestId('new').click();
    await expect.poll(() => page.getByTestId('node').count()).toBe(0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
    const byol = serializeGraph(template('byol'));
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
    }, byol);
    const ok = page.getByTestId('confirm-ok');
    await ok.waitFor({ timeout: 2000 }).then(() => ok.click(), () => undefined);
    await expect.poll(() => page.getByTestId('doc-name').textContent()).toBe('BYOL');
    expect((await exportDocument(page)).text).toBe(byol);
  });

  it('asks before a template replaces unsaved work (Cancel keeps it); a .json dropped on the canvas imports', async () => {
    const { page } = studio;
    await clickNode(page, 'enc');
    await page.keyboard.press('Delete');
    const before = (await exportDocument(page)).text; // exporting saves: nothing unsaved now
    await clickNode(page, 'proj');
    await page.keyboard.press('Delete');
    await page.getByTestId('template-simsiam').click();
    await expect.poll(() => page.getByTestId('confirm-dialog').textContent()).toContain('Replace the current graph');
    // Replacing loses the unsaved work: the action is red, not the blue of a default choice.
    expect(await page.getByTestId('confirm-ok').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(201, 42, 42)');
    // a dialog: Cancel (the safe choice) has the focus, so a stray Enter replaces nothing
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    await expect.poll(focused).toBe('confirm-cancel');
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    expect(await page.getByTestId('node').count()).toBe(JSON.parse(before).nodes.length - 1);
    expect(await page.getByTestId('doc-name').textContent()).not.toBe('SimSiam');
    // Tab stays inside (Shift+Tab too), Escape cancels (and deletes nothing on the canvas behind it)
    await page.getByTestId('template-simsiam').click();
    await expect.poll(focused).toBe('confirm-cancel');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('confirm-ok');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('confirm-cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('confirm-ok');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    expect(await page.getByTestId('node').count()).toBe(JSON.parse(before).nodes.length - 1);
    await page.getByTestId('template-simsiam').click();
    await page.getByTestId('confirm-cancel').click();
    expect(await page.getByTestId('node').count()).toBe(JSON.parse(before).nodes.length - 1);
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'simsiam.json', { type: 'application/json' }));
      document.querySelector('[data-testid=canvas]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, simsiamText);
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('toast').last().textContent()).toContain('Imported "SimSiam" (7 nodes)');
    expect((await exportDocument(page)).text).toBe(serializeGraph(template('simsiam')));
  });
});
