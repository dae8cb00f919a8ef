/**
 * The embedding view (#19 point 4), as a person sees it after a short wasm
 * run: the probe set's 512 images drawn as dots of their classes' colours,
 * the legend's 10 Fashion-MNIST classes, PCA's spread, the PNG (with the
 * legend) and CSV (class names) downloads, a scatter big enough to read at
 * 1280×720; and UMAP on demand, with its progress, then 512 dots again.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { loadTemplate, openEditor, setParam } from '../helpers/editor';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The canvas's pixels: how many are exactly each legend colour (the dots are opaque squares of their class's colour). */
async function dotPixels(page: Page): Promise<{ perClass: number[]; width: number; height: number }> {
  return page.getByTestId('embedding').evaluate((el) => {
    const can = el.querySelector('canvas')!;
    const rgba = can.getContext('2d')!.getImageData(0, 0, can.width, can.height).data;
    const colours = [...el.querySelectorAll('[data-testid=embedding-legend] li i')].map((i) => getComputedStyle(i).backgroundColor.match(/\d+/g)!.map(Number));
    const perClass = colours.map(() => 0);
    for (let p = 0; p < rgba.length; p += 4) {
      for (let c = 0; c < colours.length; c++) {
        if (rgba[p] === colours[c][0] && rgba[p + 1] === colours[c][1] && rgba[p + 2] === colours[c][2] && rgba[p + 3] === 255) { perClass[c]++; break; }
      }
    }
    return { perClass, width: can.width, height: can.height };
  });
}

async function download(page: Page, testId: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return readFileSync((await file.path())!);
}

describe('the embedding view (wasm)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('after 3 steps with the rank every step: 512 dots in their classes\' colours, 10 classes in the legend, the spread; PNG and CSV hold them; UMAP shows progress, then 512 dots', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1280, height: 720 }); // the smallest window the editor is laid out for
    await loadTemplate(page, 'simsiam');
    await setParam(page, 'evaluation.rankEverySteps', '1');
    await page.getByTestId('train-steps').fill('3');
    await page.getByTestId('train-eval-every').fill('0');
    await page.getByTestId('train-batch').fill('16');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 180_000, interval: 500 }).toBe('completed');

    // The dock's "embedding" button shows the view in the charts' place, and back.
    expect(await page.getByTestId('embedding').count()).toBe(0);
    const dockBefore = (await page.getByTestId('dock').boundingBox())!;
    await page.getByTestId('dock-embedding').click();
    expect(await page.getByTestId('chart-loss').count()).toBe(0);
    const canvas = page.getByTestId('embedding-canvas');
    // Readable at the dock's default height: the dock grows so the scatter is at least 240 px each way, all inside the window.
    await expect.poll(async () => (await canvas.boundingBox())!.height).toBeGreaterThanOrEqual(240);
    const box = (await canvas.boundingBox())!;
    const dock = (await page.getByTestId('dock').boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(240);
    expect(box.y + box.height).toBeLessThanOrEqual(dock.y + dock.height + 0.5);
    expect(dock.y + dock.height).toBeLessThanOrEqual(720.5);
    await expect.poll(() => page.getByTestId('embedding-caption').textContent()).toBe('PCA at step 3');
    expect(await canvas.getAttribute('data-points')).toBe('512');
    const legend = page.getByTestId('embedding-legend').locator('li');
    expect(await legend.allTextContents()).toEqual(FASHION);
    const spread = Number(await page.getByTestId('embedding-spread').getAttribute('data-value'));
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('embedding-spread').textContent()).toContain(`PCA spread σ₂/σ₁ ${spread.toFixed(2)}`);

    // On the canvas: every class of the 512 has dots of its colour; together at most 512 squares' worth (overlaps hide some).
    const ratio = await page.evaluate(() => window.devicePixelRatio);
    const side = Math.max(1, Math.round(3 * ratio));
    const pixels = await dotPixels(page);
    const csv = (await download(page, 'embedding-csv')).toString('utf8').split('\r\n');
    expect(csv[0]).toBe('x,y,label,labelIndex');
    expect(csv).toHaveLength(514); // the header, 512 rows, the last line's end
    expect(csv.at(-1)).toBe('');
    const cells = csv.slice(1, -1).map((r) => r.split(','));
    // Each row's class by name, the name of its index (Fashion-MNIST's names: none holds a comma)
    expect(cells.every((r) => r.length === 4 && r[2] === FASHION[Number(r[3])]), cells.find((r) => r[2] !== FASHION[Number(r[3])])?.join()).toBe(true);
    const rows = cells.map(([x, y, , index]) => [x, y, index].map(Number));
    expect(rows.every((r) => r.every(Number.isFinite))).toBe(true);
    const counts = Array(10).fill(0);
    for (const [, , label] of rows) counts[label]++;
    counts.forEach((n, c) => { if (n) expect(pixels.perClass[c], FASHION[c]).toBeGreaterThan(0); else expect(pixels.perClass[c], FASHION[c]).toBe(0); });
    const total = pixels.perClass.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.3 * 512 * side * side); // most dots visible (they overlap where images look alike)
    expect(total).toBeLessThanOrEqual(512 * side * side);
    // The CSV's points are the PCA's: centred (the mean of each coordinate ≈ 0 relative to its spread).
    const mean = (k: number) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
    const rms = (k: number) => Math.sqrt(rows.reduce((s, r) => s + r[k] ** 2, 0) / rows.length);
    expect(Math.abs(mean(0))).toBeLessThan(1e-3 * rms(0));
    expect(Math.abs(mean(1))).toBeLessThan(1e-3 * rms(1));
    // σ₂/σ₁ of the CSV's two columns (uncorrelated principal scores): the spread shown.
    expect(Math.abs(rms(1) / rms(0) - spread)).toBeLessThan(1e-4);

    // The PNG is the canvas, its pixels unchanged at the top left, with the legend to its right.
    const png = await download(page, 'embedding-png');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const [pngWidth, pngHeight] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(pngWidth).toBeGreaterThan(pixels.width + 60 * ratio); // room for "Ankle boot" beside its swatch
    expect(pngHeight).toBeGreaterThanOrEqual(pixels.height);
    const decoded = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      [c.width, c.height] = [img.width, img.height];
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const plot = document.querySelector<HTMLCanvasElement>('[data-testid=embedding-canvas]')!;
      const mine = plot.getContext('2d')!.getImageData(0, 0, plot.width, plot.height).data;
      const theirs = ctx.getImageData(0, 0, plot.width, plot.height).data;
      let differ = 0;
      for (let i = 0; i < mine.length; i++) if (mine[i] !== theirs[i]) differ++;
      // The legend: per class, where its colour's pixels are (their count, mean row) and how many text pixels (neither the background nor a swatch) share those rows.
      const colours = [...document.querySelectorAll('[data-testid=embedding-legend] li i')].map((i) => getComputedStyle(i).backgroundColor.match(/\d+/g)!.map(Number));
      const legend = ctx.getImageData(plot.width, 0, c.width - plot.width, c.height);
      const bg = [...legend.data.slice(0, 3)];
      const at = (x: number, y: number) => [...legend.data.slice((y * legend.width + x) * 4, (y * legend.width + x) * 4 + 3)];
      const same = (a: number[], b: number[]) => a.every((v, k) => v === b[k]);
      const swatches = colours.map((colour) => {
        let [n, rows, top, bottom] = [0, 0, Infinity, -Infinity];
        for (let y = 0; y < legend.height; y++) for (let x = 0; x < legend.width; x++) if (same(at(x, y), colour)) { n++; rows += y; top = Math.min(top, y); bottom = Math.max(bottom, y); }
        let text = 0;
        for (let y = top; y <= bottom; y++) for (let x = 0; x < legend.width; x++) { const p = at(x, y); if (!same(p, bg) && !colours.some((k) => same(p, k))) text++; }
        return { n, row: rows / n, text };
      });
      return { differ, swatches };
    }, png.toString('base64'));
    expect(decoded.differ).toBe(0);
    const swatchSide = Math.round(10 * ratio);
    decoded.swatches.forEach((s, c) => {
      expect(s.n, FASHION[c]).toBeGreaterThanOrEqual(swatchSide * swatchSide); // its swatch (a glyph's edge may add a few)
      expect(s.text, `${FASHION[c]}'s name`).toBeGreaterThan(20 * ratio * ratio);
      if (c) expect(s.row, `${FASHION[c]} below ${FASHION[c - 1]}`).toBeGreaterThan(decoded.swatches[c - 1].row);
    });

    // The projector's points are another picture of the same 512.
    await page.getByTestId('embedding-projector').click();
    expect(await canvas.getAttribute('data-points')).toBe('512');

    // UMAP on demand: progress (epochs done / total), then 512 dots.
    await page.getByTestId('embedding-umap').click();
    expect(await canvas.getAttribute('data-points')).toBe('0');
    await page.getByTestId('umap-epochs').fill('60');
    await page.getByTestId('umap-run').click();
    const seen = new Set<string>();
    await expect.poll(async () => {
      const progress = page.getByTestId('umap-progress');
      if (await progress.count()) seen.add(`${await progress.getAttribute('data-epoch')}/${await progress.getAttribute('data-epochs')}`);
      return page.getByTestId('embedding-caption').count();
    }, { timeout: 120_000, interval: 50 }).toBe(1);
    expect(await page.getByTestId('embedding-caption').textContent()).toBe('UMAP at step 3');
    expect(await page.getByTestId('embedding-spread').textContent()).toMatch(/^\s*PCA spread σ₂\/σ₁ /); // PCA's figure, not UMAP's
    expect(await canvas.getAttribute('data-points')).toBe('512');
    const epochs = [...seen].map((s) => s.split('/').map(Number));
    expect(epochs.length, [...seen].join(' ')).toBeGreaterThan(0);
    expect(epochs.every(([done, total]) => total === 60 && done >= 0 && done <= 60)).toBe(true);
    const umapPixels = await dotPixels(page);
    expect(umapPixels.perClass.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.3 * 512 * side * side);

    // Cancel: a long UMAP stops where it is and says so.
    await page.getByTestId('umap-epochs').fill('5000');
    await page.getByTestId('umap-run').click();
    await page.getByTestId('umap-progress').waitFor();
    await page.getByTestId('umap-cancel').click();
    await expect.poll(() => page.getByTestId('umap-failed').textContent(), { timeout: 30_000 }).toBe('cancelled');
    expect(await canvas.getAttribute('data-points')).toBe('0');
    await page.getByTestId('dock-embedding').click();
    await page.getByTestId('chart-loss').waitFor();
    // The charts again: the dock back at the height it had.
    expect((await page.getByTestId('dock').boundingBox())!.height).toBeCloseTo(dockBefore.height, 0);
  }, 300_000);
});
