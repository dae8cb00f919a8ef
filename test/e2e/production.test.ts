/**
 * The production build (`vite build` + `vite preview`, cross-origin isolated):
 * training in the worker works there too. Vite's default minifier breaks
 * tfjs's threaded wasm in the worker ("e is not defined"): vite.config.ts
 * builds the worker mangled but not compressed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBuiltStudio, type Studio } from '../helpers/browser';
import { chartView } from '../helpers/charts';
import { canvasReady } from '../helpers/editor';

describe('the production build', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openBuiltStudio(); }, 180_000);
  afterAll(async () => { await studio?.close(); });

  it('trains 2 steps on wasm in the worker, cross-origin isolated (threaded wasm)', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 1600, height: 1000 });
    await canvasReady(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.getByTestId('train-steps').fill('2');
    await page.getByTestId('train-batch').fill('16');
    await page.getByTestId('train-eval-every').fill('0');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe('2');
    expect(Number(await page.getByTestId('metric-loss').textContent())).toBeLessThan(0);
    // The dashboard draws both steps (the lazily loaded uPlot chunk works built, too): a loss line across the plot area.
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-length')).toBe('2');
    const loss = await chartView(page, 'chart-loss');
    expect(loss.points).toEqual([2]);
    expect(loss.columns[0]).toBeGreaterThan(loss.plot.width / 2);
    expect(loss.rightEdge[0]).toBeGreaterThan(0);
    // tfjs alone would give XNNPACK hardwareConcurrency / 2 threads (one on 2 cores).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.getByTestId('train-backend').textContent()).toBe('wasm');
    expect(await page.getByTestId('train-backend').getAttribute('data-threads')).toBe(String(Math.min(8, cores)));
    expect(await page.getByTestId('train-backend').getAttribute('title')).toContain(`wasm on ${Math.min(8, cores)} threads`);
  }, 180_000);
});
