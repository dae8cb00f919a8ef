/**
 * The embedding view (#19 point 4), as a person sees it after a short wasm
 * run: the probe set's 512 images drawn as dots of their classes' colours,
 * the legend's 10 Fashion-MNIST classes, the spread, the PNG and CSV
 * downloads; and UMAP on demand, with its progress, then 512 dots again.
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
    await page.getByTestId('dock-embedding').click();
    expect(await page.getByTestId('chart-loss').count()).toBe(0);
    const canvas = page.getByTestId('embedding-canvas');
    const box = (await canvas.boundingBox())!;
    const dock = (await page.getByTestId('dock').boundingBox())!;
    expect(box.width).toBeGreaterThan(150);
    expect(box.height).toBeGreaterThan(100);
    expect(box.y + box.height).toBeLessThanOrEqual(dock.y + dock.height + 0.5);
    await expect.poll(() => page.getByTestId('embedding-caption').textContent()).toBe('PCA at step 3');
    expect(await canvas.getAttribute('data-points')).toBe('512');
    const legend = page.getByTestId('embedding-legend').locator('li');
    expect(await legend.allTextContents()).toEqual(FASHION);
    const spread = Number(await page.getByTestId('embedding-spread').getAttribute('data-value'));
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('embedding-spread').textContent()).toContain(`σ₂/σ₁ ${spread.toFixed(2)}`);

    // On the canvas: every class of the 512 has dots of its colour; together at most 512 squares' worth (overlaps hide some).
    const ratio = await page.evaluate(() => window.devicePixelRatio);
    const side = Math.max(1, Math.round(3 * ratio));
    const pixels = await dotPixels(page);
    const csv = (await download(page, 'embedding-csv')).toString('utf8').trim().split('\n');
    expect(csv[0]).toBe('x,y,label');
    expect(csv).toHaveLength(513);
    const rows = csv.slice(1).map((r) => r.split(',').map(Number));
    expect(rows.every((r) => r.length === 3 && r.every(Number.isFinite))).toBe(true);
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

    // The PNG is the canvas: the same size, and the same pixels where it is decoded back.
    const png = await download(page, 'embedding-png');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([pixels.width, pixels.height]);
    const decoded = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      [c.width, c.height] = [img.width, img.height];
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const mine = document.querySelector<HTMLCanvasElement>('[data-testid=embedding-canvas]')!.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const theirs = ctx.getImageData(0, 0, c.width, c.height).data;
      let differ = 0;
      for (let i = 0; i < mine.length; i++) if (mine[i] !== theirs[i]) differ++;
      return differ;
    }, png.toString('base64'));
    expect(decoded).toBe(0);

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
  }, 300_000);
});
