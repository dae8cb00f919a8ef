/**
 * Issue 20 (1, 6, 9): the window while a run is live — the canvas keeps its
 * room, the dashboard is a dock whose charts are all in view (never in a
 * scroll area of their own), the problems stay visible — what the strip says
 * during an evaluation, what makes a run stale, replacing the graph during a
 * run, and both themes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serializeGraph } from '../../src/graph';
import { PALETTES } from '../../src/editor/theme';
import { template } from '../helpers/docs';
import type { Studio } from '../helpers/browser';
import { contrast } from '../helpers/colour';
import { canvasReady, loadTemplate, nodeLocator, openEditor } from '../helpers/editor';

const CHARTS = ['chart-loss', 'chart-collapse', 'chart-rank', 'chart-knn', 'chart-schedule', 'chart-speed'];
const status = (page: Page) => page.getByTestId('train-status').getAttribute('data-status');
const stepShown = async (page: Page) => Number(await page.getByTestId('progress').getAttribute('data-step'));

async function startLongRun(page: Page, evalEvery = 0) {
  await page.getByTestId('train-steps').fill('2000');
  await page.getByTestId('train-batch').fill('8');
  await page.getByTestId('train-eval-every').fill(String(evalEvery));
  await page.getByTestId('train-backend-choice').selectOption('wasm');
  await page.getByTestId('train-start').click();
  await expect.poll(() => stepShown(page), { timeout: 120_000, interval: 500 }).toBeGreaterThanOrEqual(2);
  for (const id of CHARTS) await expect.poll(() => page.getByTestId(id).getAttribute('data-length'), { message: id }).not.toBeNull();
  await page.waitForTimeout(300); // the charts' sizes settle a frame after they draw
}

async function stopRun(page: Page) {
  await page.getByTestId('train-stop').click();
  await expect.poll(() => status(page), { timeout: 60_000 }).toBe('stopped');
}

/** What a person sees of the window: the canvas's share, every chart's box and whether anything around it scrolls, the problems' box. */
async function measure(page: Page) {
  const viewport = page.viewportSize()!;
  const canvas = (await page.locator('.canvas-area').boundingBox())!;
  const charts = [];
  for (const id of CHARTS) {
    const chart = page.getByTestId(id);
    const box = (await chart.boundingBox())!;
    // Any ancestor that scrolls (content taller or wider than its box, and allowed to scroll) would hide part of the chart behind a second scroll bar.
    const scrollers = await chart.evaluate((el) => {
      const out: string[] = [];
      for (let a = el.parentElement; a; a = a.parentElement) {
        const style = getComputedStyle(a);
        const scrolls = (/(auto|scroll)/.test(style.overflowY) && a.scrollHeight > a.clientHeight + 1) || (/(auto|scroll)/.test(style.overflowX) && a.scrollWidth > a.clientWidth + 1);
        if (scrolls) out.push(`${a.tagName.toLowerCase()}.${a.className}`);
      }
      const root = document.scrollingElement!;
      if (root.scrollHeight > root.clientHeight + 1) out.push('the page');
      return out;
    });
    const plot = await chart.evaluate((el) => { const o = el.querySelector('.u-over')!.getBoundingClientRect(); return { width: o.width, height: o.height }; });
    charts.push({ id, box, scrollers, plot, axisFont: Number(await chart.getAttribute('data-axis-font')) });
  }
  const problems = (await page.getByTestId('problems').boundingBox())!;
  return { viewport, canvasShare: (canvas.width * canvas.height) / (viewport.width * viewport.height), charts, problems };
}

function expectLegible(m: Awaited<ReturnType<typeof measure>>, dock: { x: number; y: number; width: number; height: number }) {
  const { viewport } = m;
  expect(m.canvasShare, 'the canvas\'s share of the window').toBeGreaterThanOrEqual(0.55);
  for (const c of m.charts) {
    expect(c.scrollers, `${c.id}: scroll areas around it`).toEqual([]);
    expect(c.box.x, c.id).toBeGreaterThanOrEqual(dock.x - 0.5);
    expect(c.box.y, c.id).toBeGreaterThanOrEqual(dock.y - 0.5);
    expect(c.box.x + c.box.width, c.id).toBeLessThanOrEqual(Math.min(viewport.width, dock.x + dock.width) + 0.5);
    expect(c.box.y + c.box.height, c.id).toBeLessThanOrEqual(Math.min(viewport.height, dock.y + dock.height) + 0.5);
    expect(c.axisFont, `${c.id}: axis label font (px)`).toBeGreaterThanOrEqual(11);
    expect(c.plot.width, `${c.id}: plot width`).toBeGreaterThanOrEqual(120);
    expect(c.plot.height, `${c.id}: plot height`).toBeGreaterThanOrEqual(45);
  }
  expect(m.problems.height, 'the problems panel').toBeGreaterThanOrEqual(18);
  expect(m.problems.y + m.problems.height, 'the problems panel').toBeLessThanOrEqual(viewport.height);
}

describe('the editor while a run is live', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('at 1280×720 the canvas keeps ≥ 55 %, every chart is in the dock and in view, axes ≥ 11 px; the dock resizes, collapses and widens', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 });
    await loadTemplate(page, 'byol');
    await startLongRun(page);
    const m = await measure(page);
    expect(m.canvasShare, 'the canvas\'s share of the window').toBeGreaterThanOrEqual(0.55);
    const dock = (await page.getByTestId('dock').boundingBox())!;
    expectLegible(m, dock);
    expect(await page.getByTestId('problems').textContent()).toContain('No problems');
    expect(await page.getByTestId('dock-title').textContent()).toBe('Run of “BYOL”');
    // With the inspector back beside it, the dock's header keeps its buttons inside the dock (they were drawn over the inspector).
    await page.getByTestId('inspector-unfold').click();
    await expect.poll(async () => (await page.getByTestId('dock').boundingBox())!.width).toBeLessThan(dock.width - 100);
    const narrow = (await page.getByTestId('dock').boundingBox())!;
    const buttons = await page.locator('.dock-head button').evaluateAll((bs) => bs.map((b) => ({ id: b.getAttribute('data-testid') ?? b.textContent, right: b.getBoundingClientRect().right, width: b.getBoundingClientRect().width })));
    expect(buttons.length).toBeGreaterThanOrEqual(7);
    for (const b of buttons) {
      expect(b.width, `${b.id}: drawn`).toBeGreaterThan(10);
      expect(b.right, `${b.id}: inside the dock`).toBeLessThanOrEqual(narrow.x + narrow.width + 0.5);
    }
    // and with the palette open too (its default): the dock at its narrowest
    await page.getByTestId('palette-unfold').click();
    await expect.poll(async () => (await page.getByTestId('dock').boundingBox())!.width).toBeLessThan(narrow.width - 100);
    const narrowest = (await page.getByTestId('dock').boundingBox())!;
    for (const b of await page.locator('.dock-head button').evaluateAll((bs) => bs.map((e) => ({ id: e.getAttribute('data-testid') ?? e.textContent, right: e.getBoundingClientRect().right })))) {
      expect(b.right, `${b.id}: inside the dock with both side panels open`).toBeLessThanOrEqual(narrowest.x + narrowest.width + 0.5);
    }
    await page.getByTestId('palette-fold').click();
    await page.getByTestId('inspector-fold').click();
    await expect.poll(async () => (await page.getByTestId('dock').boundingBox())!.width).toBe(dock.width);

    // Resize: dragging its top edge up by 80 px makes the dock 80 px taller and the charts taller with it.
    const handle = (await page.getByTestId('dock-resize').boundingBox())!;
    const plotBefore = (await measure(page)).charts[0].plot.height;
    await page.mouse.move(handle.x + 300, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 300, handle.y + handle.height / 2 - 80, { steps: 5 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    const taller = (await page.getByTestId('dock').boundingBox())!;
    expect(taller.height - dock.height).toBeCloseTo(80, 0);
    expect((await measure(page)).charts[0].plot.height - plotBefore).toBeGreaterThan(60);
    // Collapse: the charts go, the canvas gets their room; expand brings them back.
    const canvasOpen = (await page.locator('.canvas-area').boundingBox())!.height;
    await page.getByTestId('dock-collapse').click();
    await expect.poll(() => page.getByTestId('chart-loss').count()).toBe(0);
    expect((await page.locator('.canvas-area').boundingBox())!.height - canvasOpen).toBeGreaterThan(taller.height - 40);
    await page.getByTestId('dock-collapse').click();
    await expect.poll(() => page.getByTestId('chart-loss').count()).toBe(1);
    // Full width: under the palette's and inspector's rails too.
    await page.getByTestId('dock-wide').click();
    await expect.poll(async () => (await page.getByTestId('dock').boundingBox())!.width).toBe(1280);
    await page.getByTestId('dock-wide').click();
    await stopRun(page);
  }, 240_000);

  it('the strip says when kNN runs and on how many images, periodic and final, the document\'s sizes within the browser\'s cap', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1600, height: 1000 });
    await loadTemplate(page, 'simsiam');
    if (await page.getByTestId('inspector-unfold').count()) await page.getByTestId('inspector-unfold').click(); // folded by the first test's user
    // The document's evaluation sizes, in the Training panel (nothing selected): 1,500 queries, a bank of 500.
    for (const [name, value] of [['evaluation.querySize', '1500'], ['evaluation.bankSize', '500']]) {
      await page.getByTestId(`param-${name}`).fill(value);
      await page.getByTestId(`param-${name}`).press('Enter');
    }
    await page.getByTestId('train-steps').fill('4');
    await page.getByTestId('train-batch').fill('8');
    await page.getByTestId('train-eval-every').fill('2');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    const said: string[] = [];
    await expect.poll(async () => {
      const text = await page.getByTestId('train-message').textContent() ?? '';
      if (text.startsWith('kNN') && !said.includes(text)) said.push(text);
      return status(page);
    }, { timeout: 180_000, interval: 100 }).toBe('completed');
    // The document's 500 bank images; its 1,500 queries capped at the browser's 1,000 (the panel says so).
    expect(said).toEqual([
      'kNN on 1,000 test images against 500 train images (step 2)…',
      'kNN on 1,000 test images against 500 train images: the final evaluation (step 4)…',
    ]);
    expect(await page.getByTestId('training-eval-cap').textContent()).toBe('In the browser kNN looks at most 2,000 bank and 1,000 query images; the CLI at these sizes.');
    expect(await page.getByTestId('chart-knn').getAttribute('data-points')).toBe('2');
    expect(await page.getByTestId('train-message').textContent()).toBe('Training completed.');
  }, 240_000);

  it('moving or renaming a node leaves a live run current; a training setting makes it stale', async () => {
    const { page } = studio;
    await startLongRun(page);
    const title = nodeLocator(page, 'loss').getByTestId('title');
    const at = (await title.boundingBox())!;
    await page.mouse.move(at.x + 10, at.y + 5);
    await page.mouse.down();
    await page.mouse.move(at.x + 90, at.y + 65, { steps: 6 });
    await page.mouse.up();
    expect((await title.boundingBox())!.x - at.x).toBeGreaterThan(40);
    await title.click();
    if (await page.getByTestId('inspector-unfold').count()) await page.getByTestId('inspector-unfold').click();
    await page.getByTestId('node-label').fill('the loss, renamed');
    await page.getByTestId('node-label').press('Enter');
    await expect.poll(() => title.textContent()).toBe('the loss, renamed');
    await page.waitForTimeout(500);
    expect(await page.getByTestId('train-stale').count()).toBe(0);
    // A training setting (the document's seed, in the Training panel: nothing selected) is part of what was trained: stale.
    await page.getByTestId('node-label').blur();
    await page.keyboard.press('Escape');
    await page.getByTestId('param-seed').fill('5');
    await page.getByTestId('param-seed').press('Enter');
    await expect.poll(() => page.getByTestId('train-stale').count()).toBe(1);
  }, 240_000);

  it('loading a template during a run asks whether to stop it; Cancel keeps both, Stop ends it and its dashboard goes with its graph', async () => {
    const { page } = studio;
    expect(await status(page)).toBe('running');
    await page.getByTestId('templates').click(); // the palette is folded while a run is live: Templates opens it
    await page.getByTestId('template-byol').click();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain('A run of "SimSiam" is live. Stop it and replace the graph with the BYOL template?');
    await page.getByTestId('confirm-cancel').click();
    expect(await page.getByTestId('doc-name').textContent()).toBe('SimSiam');
    expect(await page.getByTestId('dock-title').textContent()).toBe('Run of “SimSiam”');
    const before = await stepShown(page);
    await expect.poll(() => stepShown(page), { timeout: 60_000 }).toBeGreaterThan(before);
    await page.getByTestId('template-byol').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('doc-name').textContent()).toBe('BYOL');
    expect(await page.getByTestId('dock').count()).toBe(0);
    expect(await page.getByTestId('dashboard').count()).toBe(0);
    expect(await status(page)).toBe('idle');
    expect(await stepShown(page)).toBe(0);
  }, 120_000);

  it('dark theme from prefers-color-scheme at 1920×1080, run live: sockets and wires in its colours, ≥ 3:1 on its canvas; the toggle switches and is remembered', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await canvasReady(page);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await loadTemplate(page, 'byol'); // its EMA gives a weights wire too (the reload restored the last test's graph)
    const canvasBg = await page.getByTestId('canvas').evaluate((el) => getComputedStyle(el).backgroundColor);
    const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    expect(canvasBg).toBe(rgb(PALETTES.dark.canvas));
    for (const kind of ['images', 'features', 'weights'] as const) {
      const socket = page.locator(`.socket[data-kind=${kind}]`).first();
      expect(await socket.evaluate((el) => getComputedStyle(el).backgroundColor), kind).toBe(rgb(PALETTES.dark.sockets[kind]));
      const wire = page.locator(`[data-testid=connection][data-kind=${kind}] path`).first();
      expect(await wire.evaluate((el) => getComputedStyle(el).stroke), kind).toBe(rgb(PALETTES.dark.sockets[kind]));
      expect(contrast(PALETTES.dark.sockets[kind], PALETTES.dark.canvas)).toBeGreaterThanOrEqual(3);
    }
    await startLongRun(page);
    expectLegible(await measure(page), (await page.getByTestId('dock').boundingBox())!);
    // The loss line is drawn in the dark palette's ink: light on the dark dock.
    const marker = await page.getByTestId('chart-loss').locator('.u-legend .u-series .u-marker').first().evaluate((el) => getComputedStyle(el).borderTopColor);
    expect(marker).toBe(rgb(PALETTES.dark.chart.series.ink));
    await stopRun(page);
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.reload();
    await canvasReady(page);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await page.getByTestId('canvas').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(rgb(PALETTES.light.canvas));
  }, 240_000);
});

describe('the toolbar at 1280×720', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('a long document name ends in an ellipsis, its full text (escaped) in its tooltip; every button stays in the toolbar, whole', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 });
    const name = 'SimSiam with a much longer name than fits: CIFAR-10, batch 512, 800 epochs \u202egnp.exe';
    const doc = { ...template('simsiam'), name };
    await page.getByTestId('import-json').setInputFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(serializeGraph(doc)) });
    const ok = page.getByTestId('confirm-ok');
    await ok.waitFor({ timeout: 2000 }).then(() => ok.click(), () => undefined);
    const shown = page.getByTestId('doc-name');
    const escaped = 'SimSiam with a much longer name than fits: CIFAR-10, batch 512, 800 epochs \\u202egnp.exe';
    await expect.poll(() => shown.textContent()).toBe(escaped);
    expect(await shown.getAttribute('title')).toBe(escaped);
    const m = await page.evaluate(() => {
      const box = (el: Element) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
      const bar = document.querySelector('.toolbar')!;
      const name = document.querySelector<HTMLElement>('[data-testid=doc-name]')!;
      return {
        bar: box(bar),
        buttons: [...bar.querySelectorAll('button')].map((b) => ({ id: b.dataset.testid, ...box(b), clipped: b.scrollWidth > b.clientWidth })),
        name: { ...box(name), cut: name.scrollWidth > name.clientWidth, overflow: getComputedStyle(name).textOverflow },
      };
    });
    expect(m.buttons.length).toBeGreaterThanOrEqual(14);
    for (const b of m.buttons) {
      expect(b.left, b.id).toBeGreaterThanOrEqual(m.bar.left);
      expect(b.right, b.id).toBeLessThanOrEqual(Math.min(m.bar.right, 1280) + 0.5);
      expect(b.clipped, `${b.id}: its label whole`).toBe(false);
      expect(b.right <= m.name.left + 0.5 || b.left >= m.name.right - 0.5, `${b.id} beside the name`).toBe(true);
    }
    // The name: legible room (≥ 6rem), inside the window, cut with an ellipsis
    expect(m.name.right - m.name.left).toBeGreaterThanOrEqual(96);
    expect(m.name.right).toBeLessThanOrEqual(1280);
    expect(m.name.cut).toBe(true);
    expect(m.name.overflow).toBe('ellipsis');
  });
});
