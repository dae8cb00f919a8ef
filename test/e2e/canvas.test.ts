/**
 * Issue 20's canvas, messages and conventions in Chromium, measured as a
 * person sees them: Fit's zoom and the minimap's room, node search, keys, the
 * shortcut overlay, tooltips, toasts, problem lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { shortcuts } from '../../src/editor/keymap';
import type { Studio } from '../helpers/browser';
import { clickNode, dragWire, exportDocument, loadTemplate, nodeLocator, openEditor } from '../helpers/editor';

const templateKeys = readdirSync(new URL('../../templates', import.meta.url)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
interface Rect { left: number; top: number; right: number; bottom: number }
const overlaps = (a: Rect, b: Rect) => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;

/** The canvas as drawn: zoom, the minimap's box and what it shows, each node's box and title size. */
const layout = (page: Page) => page.evaluate(() => {
  const box = (e: Element) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
  const holder = document.querySelector('[data-testid=canvas] > div') as HTMLElement;
  const k = Number(/scale\(([^)]+)\)/.exec(holder.style.transform)?.[1]);
  const minimap = document.querySelector<HTMLElement>('[data-testid=minimap]');
  return {
    k,
    transform: holder.style.transform,
    minimap: minimap && minimap.offsetParent ? box(minimap) : undefined,
    miniNodes: [...document.querySelectorAll('[data-testid=minimap-node]')].map(box),
    nodes: [...document.querySelectorAll<HTMLElement>('[data-testid=node]')].map((n) => ({ id: n.dataset.id, ...box(n) })),
    titles: [...document.querySelectorAll('[data-testid=title]')].map((t) => ({ rendered: parseFloat(getComputedStyle(t).fontSize) * k, height: t.getBoundingClientRect().height })),
  };
});
const transformOf = (page: Page) => page.locator('[data-testid=canvas] > div').first().evaluate((el) => (el as HTMLElement).style.transform);

/** A point of bare canvas (no node, wire, minimap or toast under it), scanning from the bottom-left. */
const emptyPoint = (page: Page) => page.evaluate(() => {
  const canvas = document.querySelector<HTMLElement>('[data-testid=canvas]')!;
  const r = canvas.getBoundingClientRect();
  for (let y = r.bottom - 50; y > r.top + 50; y -= 20) {
    for (let x = r.left + 60; x < r.right - 260; x += 20) {
      const clear = [[0, 0], [-30, -30], [30, 30], [-30, 30], [30, -30]].every(([dx, dy]) => {
        const at = document.elementFromPoint(x + dx, y + dy);
        return at === canvas || at === canvas.firstElementChild;
      });
      if (clear) return { x, y };
    }
  }
  throw new Error('no empty point on the canvas');
});

async function socketCentre(page: Page, node: string, side: 'input' | 'output', port: string) {
  const b = (await page.locator(`[data-testid=node][data-id="${node}"] [data-testid=${side}-socket][data-port="${port}"]`).boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}
async function dragToEmpty(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}
async function dismissAll(page: Page) {
  while (await page.getByTestId('toast').count()) await page.getByTestId('toast-dismiss').first().click({ timeout: 2000 }).catch(() => undefined);
}
const visibleToasts = (page: Page) => page.getByTestId('toast').evaluateAll((ts) => ts.map((t) => `${(t as HTMLElement).dataset.kind}: ${t.querySelector('.toast-text')!.textContent}${t.querySelector('[data-testid=toast-count]')?.textContent ?? ''}`));

describe('the canvas at a person\'s scale, in Chromium', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('draws the minimap on first load: one box per node, inside its frame', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.reload();
    await page.waitForSelector('[data-testid=canvas][data-ready=true]');
    await expect.poll(async () => (await layout(page)).miniNodes.length).toBe(7);
    const { minimap, miniNodes } = await layout(page);
    for (const n of miniNodes) {
      expect(n.right - n.left).toBeGreaterThan(2);
      expect(n.bottom - n.top).toBeGreaterThan(2);
      expect(n.left >= minimap!.left && n.right <= minimap!.right && n.top >= minimap!.top && n.bottom <= minimap!.bottom).toBe(true);
    }
  });

  it('shows every node of every template whole inside the canvas on load at 1280×720, the default panels open', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 });
    const outside: string[] = [];
    for (const key of templateKeys) {
      await loadTemplate(page, key);
      const count = JSON.parse(readFileSync(new URL(`../../templates/${key}.json`, import.meta.url), 'utf8')).nodes.length;
      await expect.poll(async () => (await layout(page)).miniNodes.length).toBe(count);
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      const { nodes } = await layout(page);
      expect(nodes.length, key).toBe(count);
      for (const n of nodes) {
        if (n.left < canvas.x || n.top < canvas.y || n.right > canvas.x + canvas.width || n.bottom > canvas.y + canvas.height) {
          outside.push(`${key}: ${n.id} at ${Math.round(n.left)}–${Math.round(n.right)} × ${Math.round(n.top)}–${Math.round(n.bottom)} (canvas ${Math.round(canvas.x)}–${Math.round(canvas.x + canvas.width)} × ${Math.round(canvas.y)}–${Math.round(canvas.y + canvas.height)})`);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('fits every template with titles rendered at ≥ 11 px and no node under the minimap, at 1280×720 and 1920×1080', async () => {
    const { page } = studio;
    expect(templateKeys.length).toBe(15);
    const seen: string[] = [];
    for (const [width, height] of [[1280, 720], [1920, 1080]]) {
      await page.setViewportSize({ width, height });
      for (const key of templateKeys) {
        await loadTemplate(page, key);
        await page.getByTestId('fit').click();
        await expect.poll(async () => (await layout(page)).miniNodes.length).toBe(JSON.parse(readFileSync(new URL(`../../templates/${key}.json`, import.meta.url), 'utf8')).nodes.length);
        const { k, minimap, nodes, titles } = await layout(page);
        expect(minimap, `${key} ${width}×${height}: the minimap shows`).toBeDefined();
        expect(nodes.filter((n) => overlaps(n, minimap!)).map((n) => n.id), `${key} at ${width}×${height}`).toEqual([]);
        expect(Math.min(...titles.map((t) => t.rendered)), `${key} at ${width}×${height}, zoom ${k}`).toBeGreaterThanOrEqual(11);
        expect(Math.min(...titles.map((t) => t.height))).toBeGreaterThanOrEqual(11);
        // Every node is on screen vertically; only a graph too wide for the legible zoom scrolls sideways.
        const canvas = (await page.getByTestId('canvas').boundingBox())!;
        expect(nodes.every((n) => n.top >= canvas.y && n.bottom <= canvas.y + canvas.height)).toBe(true);
        seen.push(`${key}@${width}: ${k.toFixed(3)}`);
      }
    }
    // The report's SimSiam at 1280×720 sat at 0.46 (titles ≈ 6 px), then at the legible floor 11/20 and wider than the
    // canvas; laid out in rows, every template fits whole above it.
    const simsiam = Number(seen.find((s) => s.startsWith('simsiam@1280: '))!.split(': ')[1]);
    expect(simsiam).toBeGreaterThan(0.55);
  });

  it('F fits, M hides and shows the minimap (and Fit then uses its room), ? lists every shortcut of the keymap', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 });
    await loadTemplate(page, 'collapse-no-stop-gradient');
    await page.getByTestId('fit').click();
    const fitted = await transformOf(page);
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.move(canvas.x + 30, canvas.y + 30);
    await page.mouse.wheel(0, 300);
    await expect.poll(() => transformOf(page)).not.toBe(fitted);
    await page.keyboard.press('f');
    await expect.poll(() => transformOf(page)).toBe(fitted);

    await page.keyboard.press('m');
    await expect.poll(() => page.getByTestId('minimap').isVisible()).toBe(false);
    expect(await page.getByTestId('minimap-toggle').getAttribute('aria-pressed')).toBe('false');
    await page.keyboard.press('f');
    await expect.poll(() => transformOf(page)).not.toBe(fitted);
    await page.getByTestId('minimap-toggle').click();
    await expect.poll(() => page.getByTestId('minimap').isVisible()).toBe(true);
    await page.keyboard.press('f');
    await expect.poll(() => transformOf(page)).toBe(fitted);

    await page.keyboard.press('?');
    const rows = page.getByTestId('shortcuts').getByTestId('shortcut');
    await expect.poll(() => rows.count()).toBe(shortcuts.length);
    // A dialog: the focus on its Close, and Tab keeps it there.
    const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid);
    expect(await focused()).toBe('shortcuts-close');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('shortcuts-close');
    const listed = await rows.evaluateAll((rs) => rs.map((r) => [r.querySelector('th')!.textContent!.trim(), r.querySelector('td')!.textContent!.trim()]));
    expect(listed).toEqual(shortcuts.map((s) => [s.keys, s.does]));
    expect(listed.map(([keys]) => keys)).toEqual(expect.arrayContaining(['F', 'M', '?', 'Delete / Backspace', 'Ctrl+S']));
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('shortcuts').count()).toBe(0);
    await page.getByTestId('shortcuts-toggle').click();
    await page.getByTestId('shortcuts-close').click();
    await expect.poll(() => page.getByTestId('shortcuts').count()).toBe(0);
  });

  it('double-click on empty canvas opens node search at the pointer; the kind picked is added there', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    const before = await transformOf(page);
    const at = await emptyPoint(page);
    await page.mouse.dblclick(at.x, at.y);
    const search = page.getByTestId('node-search');
    await search.waitFor();
    // A corner of the search box is at the pointer (below it, or above it near the canvas's bottom).
    const box = (await search.boundingBox())!;
    expect(Math.min(...[box.x, box.x + box.width].flatMap((x) => [box.y, box.y + box.height].map((y) => Math.hypot(x - at.x, y - at.y))))).toBeLessThan(3);
    expect(await transformOf(page)).toBe(before); // no zoom on double-click
    await page.getByTestId('node-search-input').fill('proj');
    expect(await page.getByTestId('node-search-item').allTextContents()).toEqual(['Projector Modules']);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('node').count()).toBe(8);
    const added = (await nodeLocator(page, 'projector').boundingBox())!;
    expect(Math.abs(added.x - at.x)).toBeLessThan(3);
    expect(Math.abs(added.y - at.y)).toBeLessThan(3);
    expect(await page.getByTestId('node-search').count()).toBe(0);
    // On a node, a double-click opens nothing.
    await nodeLocator(page, 'enc').getByTestId('title').dblclick();
    expect(await page.getByTestId('node-search').count()).toBe(0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
  });

  it('a wire dropped in empty space offers only the kinds that take it, and wires the one picked (one undo step)', async () => {
    const { page } = studio;
    const at = await emptyPoint(page);
    await dragToEmpty(page, await socketCentre(page, 'proj', 'output', 'output'), at);
    const search = page.getByTestId('node-search');
    await search.waitFor();
    expect(await search.textContent()).toContain('Wire proj.output (features) into a new…');
    expect(await page.getByTestId('node-search-item').locator('strong').allTextContents()).toEqual(['Projector', 'Predictor', 'Stop-gradient', 'Loss', 'Key queue', 'InfoNCE', 'NT-Xent', 'Barlow Twins', 'VICReg']);
    await page.getByTestId('node-search-item').filter({ hasText: 'Stop-gradient' }).click();
    await expect.poll(() => page.getByTestId('connection').count()).toBe(8);
    expect(await page.getByTestId('node').count()).toBe(8);
    const doc = JSON.parse((await exportDocument(page)).text) as { edges: { from: { node: string; port: string }; to: { node: string; port: string } }[] };
    expect(doc.edges.at(-1)).toMatchObject({ from: { node: 'proj', port: 'output' }, to: { node: 'stop-gradient', port: 'input' } });
    // The new node's socket is where the wire was let go.
    const socket = await socketCentre(page, 'stop-gradient', 'input', 'input');
    expect(Math.hypot(socket.x - at.x, socket.y - at.y)).toBeLessThan(12);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
    expect(await page.getByTestId('connection').count()).toBe(7);

    // A module's weights: only an EMA node takes them; Escape closes the search, adding nothing.
    await dragToEmpty(page, await socketCentre(page, 'proj', 'output', 'weights'), await emptyPoint(page));
    await search.waitFor();
    expect(await page.getByTestId('node-search-item').locator('strong').allTextContents()).toEqual(['EMA target']);
    await page.keyboard.press('Escape');
    await expect.poll(() => search.count()).toBe(0);
    expect(await page.getByTestId('node').count()).toBe(7);
  });

  it('ports say their kind, shape and meaning on hover; a disabled button says why', async () => {
    const { page } = studio;
    expect(await nodeLocator(page, 'proj').getByTestId('output-output').getAttribute('title'))
      .toBe('features (output "output"): features, 2×B×128\ngives feature vectors, one per view and image: V×B×D');
    expect(await nodeLocator(page, 'aug').getByTestId('input-input').getAttribute('title'))
      .toBe('images (input "input"): images, 1×B×28×28×1\ntakes images: view stacks V×B×H×W×C');
    const pytorch = page.getByTestId('export-pytorch');
    expect(await pytorch.isEnabled()).toBe(true);
    expect(await pytorch.getAttribute('title')).not.toContain('Disabled');
    await clickNode(page, 'sg');
    await page.keyboard.press('Delete');
    await expect.poll(() => pytorch.isEnabled()).toBe(false);
    expect(await pytorch.getAttribute('title')).toBe('Disabled: the graph has an error (see Problems). First: loss.target: required input "target" (target z) is not connected');
    expect(await page.getByTestId('redo').getAttribute('title')).toBe('Disabled: nothing to redo');
    await page.keyboard.press('Control+z');
    await expect.poll(() => pytorch.isEnabled()).toBe(true);
  });

  it('problem lines name the parameter, in the problems panel, the node badge and the inspector', async () => {
    const { page } = studio;
    const doc = JSON.parse(readFileSync(new URL('../../templates/simsiam.json', import.meta.url), 'utf8'));
    doc.nodes.find((n: { id: string }) => n.id === 'pred').params.hiddenDim = -5;
    await page.getByTestId('import-json').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    const ok = page.getByTestId('confirm-ok');
    await ok.waitFor({ timeout: 1000 }).then(() => ok.click(), () => undefined);
    const line = 'pred: params.hiddenDim must be an integer between 1 and 65536, got -5';
    await expect.poll(() => page.getByTestId('problem').allTextContents()).toEqual([`error ${line}`]);
    expect(await nodeLocator(page, 'pred').getByTestId('badge-error').getAttribute('title')).toBe(line);
    await clickNode(page, 'pred');
    expect(await page.getByTestId('node-problem').allTextContents()).toEqual([line]);
  });

  it('toasts: the newest three in the canvas corner clear of toolbar, train controls and minimap; repeats merged; dismissable; errors stay', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1600, height: 1000 });
    await loadTemplate(page, 'simsiam');
    await dismissAll(page);
    const refusedA = 'features → images: incompatible kinds ("proj".output carries features, "enc".input takes images)';
    const refusedB = 'features → images: incompatible kinds ("pred".output carries features, "aug".input takes images)';
    for (let i = 0; i < 3; i++) await dragWire(page, ['proj', 'output'], ['enc', 'input']);
    await expect.poll(() => visibleToasts(page)).toEqual([`error: ${refusedA}×3`]);
    await dragWire(page, ['pred', 'output'], ['aug', 'input']);
    await exportDocument(page);
    await page.getByTestId('new').click();
    await expect.poll(() => page.getByTestId('toast').count()).toBe(3);
    const shown = await visibleToasts(page);
    expect(shown[0]).toBe(`error: ${refusedB}`);
    expect(shown[1]).toMatch(/^info: Exported simsiam\.json/);
    expect(shown[2]).toBe('info: New empty graph. Undo (Ctrl+Z) brings the previous one back.');
    expect(await page.getByTestId('toasts-waiting').textContent()).toBe('1 more behind these');

    const toasts = (await page.getByTestId('toasts').boundingBox())!;
    const rect = (b: { x: number; y: number; width: number; height: number }) => ({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height });
    const canvas = rect((await page.getByTestId('canvas').boundingBox())!);
    const placed = rect(toasts);
    expect(placed.left >= canvas.left && placed.right <= canvas.right && placed.top >= canvas.top && placed.bottom <= canvas.bottom).toBe(true);
    for (const other of ['.toolbar', '[data-testid=train-panel]', '[data-testid=minimap]']) expect(overlaps(placed, rect((await page.locator(other).boundingBox())!)), other).toBe(false);

    await page.getByTestId('toast').last().getByTestId('toast-dismiss').click();
    await expect.poll(() => visibleToasts(page)).toEqual([`error: ${refusedA}×3`, `error: ${refusedB}`, expect.stringMatching(/^info: Exported/)]);
    expect(await page.getByTestId('toasts-waiting').count()).toBe(0);
    // Infos go after 5 s; the errors stay.
    await page.waitForTimeout(5500);
    expect(await visibleToasts(page)).toEqual([`error: ${refusedA}×3`, `error: ${refusedB}`]);
    await dismissAll(page);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count()).toBe(7);
  });

  it('a node the browser scrolls into view (past the canvas\'s right edge) is panned to instead: the canvas never stays scrolled', async () => {
    const { page } = studio;
    const canvas = page.getByTestId('canvas');
    const rect = (b: { x: number; y: number; width: number; height: number }) => ({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height });
    const frame = rect((await canvas.boundingBox())!);
    const from = await emptyPoint(page);
    const pred = rect((await nodeLocator(page, 'pred').boundingBox())!);
    await dragToEmpty(page, from, { x: from.x + frame.right - pred.left - 60, y: from.y }); // pred half past the right edge
    const cut = rect((await nodeLocator(page, 'pred').boundingBox())!);
    expect(cut.left < frame.right && cut.right > frame.right).toBe(true);
    const minimap = await page.getByTestId('minimap').boundingBox();
    const before = await transformOf(page);
    await nodeLocator(page, 'pred').evaluate((el) => el.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
    await expect.poll(() => canvas.evaluate((el) => `${el.scrollLeft},${el.scrollTop}`)).toBe('0,0');
    expect(await transformOf(page)).not.toBe(before);
    const shown = rect((await nodeLocator(page, 'pred').boundingBox())!);
    expect(shown.left >= frame.left && shown.right <= frame.right + 1, `pred at ${shown.left}–${shown.right}, canvas ${frame.left}–${frame.right}`).toBe(true);
    expect(await page.getByTestId('minimap').boundingBox()).toEqual(minimap);
  });

  it('a port\'s shape shows whole where its row has room: the socket\'s inner half takes the row\'s end only', async () => {
    const { page } = studio;
    await loadTemplate(page, 'byol');
    for (const node of ['proj', 'pred']) {
      const weights = nodeLocator(page, node).locator('[data-testid=output-weights] [data-testid=shape]');
      await expect.poll(() => weights.textContent()).toMatch(/^MLP \d+→512→128$/);
      expect(await weights.evaluate((e) => e.scrollWidth <= e.clientWidth), node).toBe(true);
    }
  });

  it('a pan dragged over the palette selects none of its text', async () => {
    const { page } = studio;
    const from = await emptyPoint(page);
    const palette = (await page.getByTestId('palette').boundingBox())!;
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(palette.x + 40, palette.y + 60, { steps: 10 });
    expect(await page.evaluate(() => getSelection()?.toString())).toBe('');
    await page.mouse.up();
    expect(await page.evaluate(() => getSelection()?.toString())).toBe('');
    expect(await page.evaluate(() => document.documentElement.classList.contains('canvas-pressed'))).toBe(false);
  });
});
