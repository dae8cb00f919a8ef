/** Reading a dashboard chart back from the page: what uPlot drew (its data attributes) and what is on its canvas. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export interface ChartView {
  /** x values in uPlot's data when it last drew. */
  length: number;
  /** Non-null values per series in that data. */
  points: number[];
  /** The plot area (inside the axes) in canvas pixels. */
  plot: { width: number; height: number };
  /** Per series: drawn dashed (its legend marker is). */
  dashed: boolean[];
  /** Per series: canvas pixels of its colour (its legend marker's) inside the plot area. */
  pixels: number[];
  /** Per series: the plot area's columns holding such a pixel (a line over all steps crosses them all, a dashed one about half). */
  columns: number[];
  /** Per series: those pixels in the plot area's last 4 columns, where the last step is (uPlot's x range ends at the last x). */
  rightEdge: number[];
}

export async function chartView(page: Page, testId: string): Promise<ChartView> {
  const chart = page.getByTestId(testId);
  const length = Number(await chart.getAttribute('data-length'));
  const points = (await chart.getAttribute('data-points') ?? '').split(',').filter(Boolean).map(Number);
  const canvas = await chart.evaluate((el) => {
    const can = el.querySelector('canvas')!;
    const c = can.getBoundingClientRect();
    const o = el.querySelector('.u-over')!.getBoundingClientRect();
    const scale = can.width / c.width;
    const [left, top, width, height] = [o.left - c.left, o.top - c.top, o.width, o.height].map((v) => Math.round(v * scale));
    const rgba = can.getContext('2d')!.getImageData(left, top, width, height).data;
    const markers = [...el.querySelectorAll('.u-legend .u-series .u-marker')].map((m) => getComputedStyle(m));
    const colours = markers.map((m) => m.borderTopColor.match(/\d+/g)!.slice(0, 3).map(Number));
    const dashed = markers.map((m) => m.borderTopStyle === 'dashed');
    const pixels = colours.map(() => 0);
    const columns = colours.map(() => 0);
    const rightEdge = colours.map(() => 0);
    // (No named functions in here: a transpiler's name helper would not exist in the page.)
    for (let s = 0; s < colours.length; s++) {
      const [r, g, b] = colours[s];
      for (let x = 0; x < width; x++) {
        let here = 0;
        for (let y = 0; y < height; y++) {
          const i = 4 * (y * width + x);
          // Its pixels: mostly covered (anti-aliased edges are partly transparent) and in its colour.
          if (rgba[i + 3] >= 128 && Math.abs(rgba[i] - r) + Math.abs(rgba[i + 1] - g) + Math.abs(rgba[i + 2] - b) <= 48) here++;
        }
        pixels[s] += here;
        if (here) columns[s]++;
        if (x >= width - 4) rightEdge[s] += here;
      }
    }
    return { plot: { width, height }, dashed, pixels, columns, rightEdge };
  });
  return { length, points, ...canvas };
}

/**
 * After a run of `steps` steps: the loss chart (1 series) and the collapse chart (3) each hold
 * every step, and each line spans the plot area up to its right edge, the last step.
 */
export async function expectLossAndCollapseDrawn(page: Page, steps: number): Promise<void> {
  for (const [id, series] of [['chart-loss', 1], ['chart-collapse', 3]] as const) {
    await expect.poll(() => page.getByTestId(id).getAttribute('data-length'), { message: id }).toBe(String(steps));
    const view = await chartView(page, id);
    expect(view.points, id).toEqual(Array(series).fill(steps));
    expect(view.plot.width, id).toBeGreaterThan(100);
    expect(view.columns[0], id).toBeGreaterThanOrEqual(0.9 * view.plot.width - 1);
    expect(view.rightEdge[0], id).toBeGreaterThan(0);
  }
}
