/**
 * Notes and groups on the canvas (format v2) in Chromium, as a person uses
 * them: a note from the context menu and from N, a group from G, its title
 * edited, dragged (its nodes go with it, one undo step), collapsed to its
 * title; all of it survives a reload (autosave) and exports as version 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseGraph, serializeGraph } from '../../src/graph';
import type { Studio } from '../helpers/browser';
import { template } from '../helpers/docs';
import { canvasReady, clickNode, exportDocument, loadTemplate, nodeLocator, openEditor } from '../helpers/editor';

const box = async (page: Page, selector: string) => {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`not on screen: ${selector}`);
  return b;
};
const nodeBox = (page: Page, id: string) => box(page, `[data-testid=node][data-id="${id}"]`);
const zoom = (page: Page) => page.locator('[data-testid=canvas] > div').first().evaluate((el) => Number(/scale\(([^)]+)\)/.exec((el as HTMLElement).style.transform)?.[1]));
const noteText = (page: Page) => page.locator('[data-testid=note] textarea').evaluateAll((els) => els.map((e) => (e as HTMLTextAreaElement).value));
const saved = (page: Page) => expect.poll(() => page.getByTestId('autosave-status').getAttribute('data-state')).toBe('saved');

/** The markup-looking text a note must show as text. */
const TEXT = 'Why the predictor? <b>SimSiam</b> §4 <img src=x onerror="window.pwned=1">';

describe('notes and groups, in Chromium', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('adds a note from the context menu and one with N, its text shown as text', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    const enc = await nodeBox(page, 'enc');
    // Below the encoder: bare canvas.
    await page.mouse.click(enc.x + 20, enc.y + enc.height + 120, { button: 'right' });
    await page.getByTestId('context-menu-item').filter({ hasText: 'Add a note here' }).click();
    const area = page.locator('[data-testid=note][data-id=note] textarea');
    await expect.poll(() => area.evaluate((e) => e === document.activeElement)).toBe(true);
    await page.keyboard.type(TEXT);
    await area.blur();
    await expect.poll(() => noteText(page)).toEqual([TEXT]);
    const note = page.locator('[data-testid=note][data-id=note]');
    expect(await note.locator('b, img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBe(undefined);
    // The note sits where the menu was opened.
    const at = await box(page, '[data-testid=note][data-id=note]');
    expect(Math.abs(at.x - (enc.x + 20))).toBeLessThan(3);
    expect(Math.abs(at.y - (enc.y + enc.height + 120))).toBeLessThan(3);

    // N: a second note at the pointer, here over the encoder: drawn over it; Ctrl+Z takes it back in one step, the first note stays.
    await page.mouse.move(enc.x + 10, enc.y + 10);
    await page.keyboard.press('n');
    await expect.poll(() => page.getByTestId('note').count()).toBe(2);
    const second = page.locator('[data-testid=note][data-id=note-2] textarea');
    const over = await second.boundingBox();
    expect(await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('[data-testid]')?.getAttribute('data-testid'), [over!.x + over!.width / 2, over!.y + 12])).toBe('note-text');
    await second.blur();
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('note').count()).toBe(1);
    expect(await noteText(page)).toEqual([TEXT]);
  });

  it('groups the selected nodes with G: a titled frame around them; dragging it moves them (one undo step)', async () => {
    const { page } = studio;
    await clickNode(page, 'proj');
    await clickNode(page, 'pred', true);
    await page.keyboard.press('g');
    const frame = page.locator('[data-testid=group][data-id=group]');
    await frame.waitFor();
    const title = frame.getByTestId('group-title');
    await title.fill('heads <i>x</i>');
    await title.press('Enter');
    await expect.poll(() => title.inputValue()).toBe('heads <i>x</i>');
    expect(await frame.locator('i').count()).toBe(0);

    const inside = (outer: { x: number; y: number; width: number; height: number }, inner: typeof outer) =>
      inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
    const f0 = await box(page, '[data-testid=group][data-id=group]');
    const [proj0, pred0, enc0] = [await nodeBox(page, 'proj'), await nodeBox(page, 'pred'), await nodeBox(page, 'enc')];
    expect(inside(f0, proj0) && inside(f0, pred0)).toBe(true);
    expect(inside(f0, enc0)).toBe(false);

    // Drag the frame by its title bar.
    const grip = await box(page, '[data-testid=group][data-id=group] [data-testid=group-grip]');
    const from = { x: grip.x + grip.width / 2, y: grip.y + grip.height / 2 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 60, from.y + 90, { steps: 6 });
    // While dragging, the nodes already follow (shown there; the edit comes on release).
    await expect.poll(async () => (await nodeBox(page, 'pred')).x - pred0.x).toBeCloseTo(60, 0);
    await page.mouse.move(from.x + 120, from.y + 180, { steps: 6 });
    await page.mouse.up();
    const [proj1, pred1, enc1] = [await nodeBox(page, 'proj'), await nodeBox(page, 'pred'), await nodeBox(page, 'enc')];
    // Within a pixel: the document keeps whole canvas units (the drag over the zoom, rounded).
    const near = (got: number, want: number) => expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(1);
    for (const [a, b] of [[proj0, proj1], [pred0, pred1]]) {
      near(b.x - a.x, 120);
      near(b.y - a.y, 180);
    }
    expect([enc1.x, enc1.y]).toEqual([enc0.x, enc0.y]);
    const f1 = await box(page, '[data-testid=group][data-id=group]');
    near(f1.x - f0.x, 120);
    near(f1.y - f0.y, 180);
    // In the document: moved by the drag over the zoom, rounded.
    const k = await zoom(page);
    const doc = JSON.parse((await exportDocument(page)).text);
    const position = (id: string) => doc.nodes.find((n: { id: string }) => n.id === id).position;
    const before = JSON.parse(serializeGraph(template('simsiam')));
    const original = (id: string) => before.nodes.find((n: { id: string }) => n.id === id).position;
    for (const id of ['proj', 'pred']) {
      expect(Math.abs(position(id).x - (original(id).x + 120 / k))).toBeLessThanOrEqual(1);
      expect(Math.abs(position(id).y - (original(id).y + 180 / k))).toBeLessThanOrEqual(1);
    }
    expect(position('enc')).toEqual(original('enc'));

    // One undo step puts both back, redo moves both again.
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await nodeBox(page, 'proj')).x).toBeCloseTo(proj0.x, 0);
    expect((await nodeBox(page, 'pred')).y).toBeCloseTo(pred0.y, 0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => (await nodeBox(page, 'proj')).x).toBeCloseTo(proj1.x, 0);
  });

  it('collapses the group to its title (its nodes and their wires hidden) and opens it again', async () => {
    const { page } = studio;
    const frame = page.locator('[data-testid=group][data-id=group]');
    const open = await box(page, '[data-testid=group][data-id=group]');
    await frame.getByTestId('group-collapse').click();
    await expect.poll(() => nodeLocator(page, 'proj').isVisible()).toBe(false);
    expect(await nodeLocator(page, 'pred').isVisible()).toBe(false);
    expect(await nodeLocator(page, 'enc').isVisible()).toBe(true);
    expect(await frame.getByTestId('group-count').textContent()).toBe('2 nodes');
    const folded = await box(page, '[data-testid=group][data-id=group]');
    expect(folded.height).toBeLessThan(open.height / 3);
    expect(folded.width).toBeCloseTo(open.width, 0);
    await frame.getByTestId('group-collapse').click();
    await expect.poll(() => nodeLocator(page, 'proj').isVisible()).toBe(true);
    await frame.getByTestId('group-collapse').click(); // collapsed again for the reload
    await expect.poll(() => nodeLocator(page, 'proj').isVisible()).toBe(false);
  });

  it('finds the note and the group after a reload, and exports version 2 with both', async () => {
    const { page } = studio;
    const before = (await exportDocument(page)).text;
    await saved(page);
    await page.reload();
    await canvasReady(page);
    // The notes' layer loads with the first note (a chunk of its own): wait for it.
    await expect.poll(() => noteText(page)).toEqual([TEXT]);
    const frame = page.locator('[data-testid=group][data-id=group]');
    expect(await frame.getByTestId('group-title').inputValue()).toBe('heads <i>x</i>');
    expect(await nodeLocator(page, 'proj').isVisible()).toBe(false);
    const { text } = await exportDocument(page);
    expect(text).toBe(before);
    // Fit (F) keeps the note in view too, even dragged far below the graph.
    const canvas = await box(page, '[data-testid=canvas]');
    const handle = await box(page, '[data-testid=note][data-id=note] [data-testid=note-handle]');
    await page.mouse.move(handle.x + 20, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 20, canvas.y + canvas.height - 10, { steps: 8 });
    await page.mouse.up();
    await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
    await page.mouse.wheel(0, 600);
    await page.keyboard.press('f');
    await expect.poll(async () => {
      const note = await box(page, '[data-testid=note][data-id=note]');
      return note.x >= canvas.x && note.y >= canvas.y && note.x + note.width <= canvas.x + canvas.width && note.y + note.height <= canvas.y + canvas.height;
    }).toBe(true);
    const doc = JSON.parse(text);
    expect(doc.version).toBe(2);
    expect(doc.notes).toEqual([{ id: 'note', text: TEXT, position: expect.objectContaining({}) }]);
    expect(doc.groups).toEqual([{ id: 'group', title: 'heads <i>x</i>', collapsed: true, nodes: ['proj', 'pred'] }]);
    const r = parseGraph(text);
    expect(r.ok && serializeGraph(r.doc)).toBe(text);
  });

  it('opens a v1 file (BYOL as it was stored) and exports it as v2, otherwise the same text', async () => {
    const { page } = studio;
    const v1 = serializeGraph(template('byol')).replace('\n  "version": 2,\n', '\n  "version": 1,\n');
    expect(JSON.parse(v1).version).toBe(1);
    await page.getByTestId('import-json').setInputFiles({ name: 'byol-v1.json', mimeType: 'application/json', buffer: Buffer.from(v1) });
    const confirm = page.getByTestId('confirm-ok');
    await confirm.waitFor({ timeout: 2000 }).then(() => confirm.click(), () => undefined);
    await expect.poll(() => page.getByTestId('node').count()).toBe(11);
    expect((await exportDocument(page)).text).toBe(v1.replace('\n  "version": 1,\n', '\n  "version": 2,\n'));
    await page.keyboard.press('Control+z'); // back to the annotated SimSiam
    await expect.poll(() => page.getByTestId('note').count()).toBe(1);
  });

  it('deletes the note and the group (its nodes stay), each one undo step', async () => {
    const { page } = studio;
    await page.locator('[data-testid=group][data-id=group]').getByTestId('group-delete').click();
    await expect.poll(() => page.getByTestId('group').count()).toBe(0);
    await expect.poll(() => nodeLocator(page, 'proj').isVisible()).toBe(true);
    expect(await page.getByTestId('node').count()).toBe(7);
    // Fit first, as a person would to reach it: the note may lie outside the view, and the canvas
    // turns the scroll with which Playwright would reveal it into a pan (scroll-to-pan.ts).
    await page.keyboard.press('f');
    await page.locator('[data-testid=note][data-id=note]').getByTestId('note-delete').click();
    await expect.poll(() => page.getByTestId('note').count()).toBe(0);
    const doc = JSON.parse((await exportDocument(page)).text);
    expect(['notes' in doc, 'groups' in doc]).toEqual([false, false]);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('note').count()).toBe(1);
    expect(await page.getByTestId('group').count()).toBe(0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('group').count()).toBe(1);
  });

  it('collapsing deselects the hidden nodes (Delete then removes nothing); their wires end on the folded frame', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    // G with nothing selected: a hint that fades, not an error that stays.
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');
    const hint = page.getByTestId('toast').filter({ hasText: 'Nothing to group' });
    await hint.waitFor();
    expect(await hint.getAttribute('data-kind')).toBe('info');
    await clickNode(page, 'enc');
    await clickNode(page, 'proj', true);
    await page.keyboard.press('g');
    const frame = page.locator('[data-testid=group][data-id=group]');
    await frame.getByTestId('group-collapse').click();
    await expect.poll(() => nodeLocator(page, 'proj').isVisible()).toBe(false);
    await expect.poll(() => page.getByRole('heading', { name: 'Document' }).count()).toBe(1);
    expect(await page.getByText('2 nodes selected').count()).toBe(0);
    const canvas = await box(page, '[data-testid=canvas]');
    await page.mouse.move(canvas.x + 30, canvas.y + canvas.height - 30);
    await page.keyboard.press('Delete');
    const kept = JSON.parse((await exportDocument(page)).text);
    expect(kept.nodes.map((n: { id: string }) => n.id)).toEqual(['data', 'aug', 'enc', 'proj', 'pred', 'sg', 'loss']);
    expect(kept.edges).toHaveLength(7);
    await page.keyboard.press('Control+a'); // select-all skips the hidden nodes
    await expect.poll(() => page.getByText('5 nodes selected').count()).toBe(1);
    await page.keyboard.press('Escape');

    // aug → enc ends at the frame's left edge, proj → pred and proj → sg start at its right edge; enc → proj (inside) is not drawn.
    const ends = (id: string) => page.locator(`[data-testid=connection][data-id="${id}"] path`).evaluate((el) => {
      const path = el as SVGPathElement;
      const m = path.getScreenCTM()!;
      const at = (p: DOMPoint) => ({ x: p.x * m.a + m.e, y: p.y * m.d + m.f });
      return { visible: path.getBoundingClientRect().width > 0, start: at(path.getPointAtLength(0)), end: at(path.getPointAtLength(path.getTotalLength())) };
    }, undefined, { timeout: 5000 });
    const f = await box(page, '[data-testid=group][data-id=group]');
    const into = await ends('e2');
    expect(into.visible).toBe(true);
    expect(Math.abs(into.end.x - f.x)).toBeLessThan(3);
    expect(Math.abs(into.end.y - (f.y + f.height / 2))).toBeLessThan(3);
    for (const id of ['e4', 'e5']) {
      const out = await ends(id);
      expect(out.visible).toBe(true);
      expect(Math.abs(out.start.x - (f.x + f.width))).toBeLessThan(3);
      expect(Math.abs(out.start.y - (f.y + f.height / 2))).toBeLessThan(3);
    }
    expect(await page.locator('[data-testid=connection][data-id=e3]').isVisible()).toBe(false);
    // Opened again, the wires go back to their sockets.
    await frame.getByTestId('group-collapse').click();
    await expect.poll(async () => Math.abs((await ends('e2')).end.y - (f.y + f.height / 2)) > 40).toBe(true);
    expect(await page.locator('[data-testid=connection][data-id=e3]').isVisible()).toBe(true);
  });

  it('the context menu opened near the window\'s bottom stays inside the window (flipped above the pointer)', async () => {
    const { page } = studio;
    const size = page.viewportSize()!;
    const canvas = await box(page, '[data-testid=canvas]');
    const at = { x: canvas.x + 12, y: Math.min(600, canvas.y + canvas.height - 6) };
    expect(await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-testid'), [at.x, at.y])).toBe('canvas');
    await page.mouse.click(at.x, at.y, { button: 'right' });
    const menu = page.getByTestId('context-menu');
    await menu.waitFor();
    await expect.poll(async () => { const m = (await menu.boundingBox())!; return m.y >= 0 && m.y + m.height <= size.height; }).toBe(true);
    const m = (await menu.boundingBox())!;
    expect(m.height).toBeGreaterThan(300); // the whole list: the note, the group and every node kind
    expect(Math.abs(m.y + m.height - at.y)).toBeLessThan(30); // flipped: it ends at the pointer
    await page.keyboard.press('Escape');
  });
});
