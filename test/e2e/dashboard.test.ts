/** Issue 14 (1): the dashboard's six charts draw every step of a run, also the sparse ones (effective rank, kNN). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { chartView } from '../helpers/charts';
import { loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 12;
const ALL = Array.from({ length: STEPS }, (_, i) => i + 1);
const RANK_AT = [10, 12]; // the template measures the effective rank every 10 steps and at the last
const EVAL_EVERY = 6;
const KNN_AT = [6, 12];

describe('the dashboard (wasm)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it(`draws all ${STEPS} steps in each chart: uPlot holds them and the lines are on the canvas up to the last step`, async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    await page.getByTestId('train-steps').fill(String(STEPS));
    await page.getByTestId('train-eval-every').fill(String(EVAL_EVERY));
    await page.getByTestId('train-batch').fill('16');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 180_000, interval: 1000 }).toBe('completed');
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
    // Per chart, the steps each series has a value at (SimSiam has no EMA: no τ).
    const expected: Record<string, number[][]> = {
      'chart-loss': [ALL],
      'chart-collapse': [ALL, ALL, ALL],
      'chart-rank': [RANK_AT, RANK_AT, ALL, ALL],
      'chart-knn': [KNN_AT],
      'chart-schedule': [ALL, []],
      'chart-speed': [ALL],
    };
    for (const [id, series] of Object.entries(expected)) {
      await expect.poll(() => page.getByTestId(id).getAttribute('data-length'), { message: id }).toBe(String(STEPS));
      const view = await chartView(page, id);
      expect(view.points, id).toEqual(series.map((at) => at.length));
      expect(await page.getByTestId(id).getAttribute('data-x-range'), `${id}: the x axis, first step to last`).toBe(`1,${STEPS}`);
      expect(view.plot.width, id).toBeGreaterThan(100);
      series.forEach((at, s) => {
        const name = `${id} series ${s}`;
        if (!at.length) return expect(view.pixels[s], name).toBe(0);
        // The columns between its first and last step carry its line (nulls between are spanned); a dashed one about half of them.
        const span = (view.plot.width * (at.at(-1)! - at[0])) / (STEPS - 1);
        if (view.dashed[s]) expect(view.columns[s], name).toBeGreaterThan(span / 3);
        else {
          expect(view.columns[s], name).toBeGreaterThanOrEqual(0.9 * span - 1); // another series drawn over it may hide a few
          expect(view.columns[s], name).toBeLessThanOrEqual(span + 6); // its points (5 px) and line width stick out a little
          // Every series with values has one at the last step: drawn at the plot area's right edge (uPlot's x range ends at the last step).
          expect(view.rightEdge[s], `${name} at the last step`).toBeGreaterThan(0);
        }
      });
    }
  }, 240_000);
});
