/**
 * Issue 19 (2, 5): a finished SimSiam run, "Compare with…" its
 * no-stop-gradient ablation (trained the same way), and the comparison a
 * person sees at 1280×720: two lines per chart (uPlot holds every step of
 * each, and each run's colour is on the canvas), the diff naming the removed
 * stop-gradient, both rows of the table; the CSV, SVG and PNG exports open.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { chartView } from '../helpers/charts';
import { loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 20;
const BATCH = 32;
const EVAL_EVERY = 10;
const MEASURED = [10, 20]; // rank: every 10 steps and at the last; kNN: every EVAL_EVERY and at the last
/** The runs as the Runs panel names them (numbered per method): the comparison shows the same names. */
const NAMES = ['SimSiam #1', 'SimSiam without stop-gradient #1'];

async function download(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync((await file.path())!) };
}

/** Simple CSV lines (the exported names here hold no comma, quote or line break). */
const csvRows = (text: string) => text.trimEnd().split('\r\n').map((line) => line.split(','));

describe('comparing two runs in the browser (wasm)', () => {
  let studio: Studio;
  /** The first run's probe top-1 as the Train strip shows it ("71.3 %"). */
  let probeShown = '';
  beforeAll(async () => {
    studio = await openEditor();
    await studio.page.setViewportSize({ width: 1280, height: 720 });
  });
  afterAll(async () => { await studio?.close(); });

  it(`SimSiam, then Compare with… its no-stop-gradient ablation (${STEPS} steps at batch ${BATCH}): the comparison opens with both`, async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    await page.getByTestId('train-steps').fill(String(STEPS));
    await page.getByTestId('train-batch').fill(String(BATCH));
    await page.getByTestId('train-eval-every').fill(String(EVAL_EVERY));
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 240_000, interval: 1000 }).toBe('completed');
    // The linear probe of the first run only: the comparison shows its top-1, and none for the second.
    await page.getByTestId('train-evaluate').click();
    await expect.poll(() => page.getByTestId('metric-probe').getAttribute('data-state'), { timeout: 180_000, interval: 500 }).toBe('done');
    probeShown = (await page.getByTestId('metric-probe').textContent())!;

    await page.getByTestId('compare-with').click();
    // The asymmetry family's ablations come first.
    const first = page.getByTestId('compare-with-menu').locator('section').first();
    expect(await first.locator('button').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-testid')))).toContain('compare-with-collapse-no-stop-gradient');
    await page.getByTestId('compare-with-collapse-no-stop-gradient').click();
    await page.getByTestId('confirm-ok').click(); // the edited steps are unsaved changes: asked first
    await expect.poll(() => page.getByTestId('doc-name').textContent()).toBe('SimSiam without stop-gradient');
    await page.getByTestId('comparison').waitFor({ timeout: 300_000 });
    // The second run repeated the first's steps, not the template's own 600.
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
    expect(await page.getByTestId('train-steps').inputValue()).toBe('600');
  }, 600_000);

  it('two lines per chart: every step of each run in uPlot, each run\'s colour on the canvas', async () => {
    const { page } = studio;
    const legend = await page.getByTestId('compare-legend-run').allTextContents();
    expect(legend).toEqual(NAMES);
    expect(await page.getByTestId('compare-title').textContent()).toBe('Runs compared');
    const expected: Record<string, { length: number; points: number[] }> = {
      'compare-chart-loss': { length: STEPS, points: [STEPS, STEPS] },
      'compare-chart-std': { length: STEPS, points: [STEPS, STEPS, STEPS] }, // + the 1/√d line
      'compare-chart-rank': { length: MEASURED.length, points: [MEASURED.length, MEASURED.length, MEASURED.length] }, // + d/10
      'compare-chart-knn': { length: MEASURED.length, points: [MEASURED.length, MEASURED.length] },
    };
    for (const [id, want] of Object.entries(expected)) {
      await expect.poll(() => page.getByTestId(id).getAttribute('data-length'), { message: id }).toBe(String(want.length));
      const view = await chartView(page, id);
      expect(view.points, id).toEqual(want.points);
      expect(await page.getByTestId(id).getAttribute('data-x-range'), `${id}: the x axis, first step to last`).toBe(`1,${STEPS}`);
      expect(view.plot.width, id).toBeGreaterThan(150);
      expect(view.plot.height, id).toBeGreaterThan(80);
      for (const s of [0, 1]) expect(view.pixels[s], `${id}: run ${s}'s colour on the canvas`).toBeGreaterThan(20);
      // The loss and std lines cross the plot from the first step to the last.
      if (want.length === STEPS) for (const s of [0, 1]) expect(view.columns[s], `${id} run ${s}`).toBeGreaterThan(0.8 * view.plot.width);
    }
    // The whole view fits the window: no chart cut off at its right edge.
    const box = (await page.getByTestId('comparison').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    for (const id of Object.keys(expected)) {
      const c = (await page.getByTestId(id).boundingBox())!;
      expect(c.x + c.width, id).toBeLessThanOrEqual(box.x + box.width);
    }
  });

  it('the diff names the removed stop-gradient; the table has both runs\' rows', async () => {
    const { page } = studio;
    expect(await page.getByTestId('compare-change').allTextContents()).toEqual(['stop-gradient removed (loss target now from projector)']);
    const rows = page.getByTestId('compare-row');
    expect(await rows.count()).toBe(2);
    const cells = await Promise.all([0, 1].map((i) => rows.nth(i).locator('td').allTextContents()));
    expect(cells.map((c) => c[0])).toEqual(NAMES);
    expect(probeShown).toMatch(/^\d+\.\d %$/);
    expect(Math.abs(Number(cells[0][7].replace(' %', '')) - Number(probeShown.replace(' %', '')))).toBeLessThanOrEqual(0.051); // 2 decimals against 1
    expect(cells[1][7]).toBe('—'); // Evaluate did not run on the second
    const bars = page.getByTestId('compare-probe-run');
    expect(await bars.count()).toBe(1);
    expect(await bars.first().textContent()).toContain(`${NAMES[0]}${probeShown}`);
    for (const c of cells) {
      expect(c[2]).toBe(String(STEPS));
      expect(c[3]).toMatch(/^-?\d+\.\d{4}$/); // the final loss
      expect(c[6]).toMatch(/^\d+\.\d{2} %$/); // kNN top-1
    }
  });

  it('exports: the table and the per-step metrics as CSV, the SVG with two series per panel, the PNG at the SVG\'s size', async () => {
    const { page } = studio;
    const table = await download(page, 'compare-csv');
    expect(table.name).toBe('comparison.csv');
    const rows = csvRows(table.bytes.toString('utf8'));
    expect(rows[0].slice(0, 3)).toEqual(['run', 'method', 'steps']);
    expect(rows.slice(1).map((r) => [r[0], r[2]])).toEqual(NAMES.map((name) => [name, String(STEPS)]));
    for (const r of rows.slice(1)) expect(Number.isFinite(Number(r[3])), 'final loss').toBe(true);

    const metrics = csvRows((await download(page, 'compare-metrics-csv')).bytes.toString('utf8'));
    expect(metrics[0].slice(0, 3)).toEqual(['run', 'step', 'loss']);
    for (const run of NAMES) {
      expect(metrics.filter((r) => r[0] === run).map((r) => Number(r[1])), run).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    }

    const svg = (await download(page, 'compare-svg')).bytes.toString('utf8');
    const panels = svg.split('<svg x="0"').slice(1);
    expect(panels).toHaveLength(4);
    for (const p of panels) expect(p.match(/<path /g), 'two series per panel').toHaveLength(2);
    expect(svg).toContain(`>${NAMES[1]}</text>`);

    const png = await download(page, 'compare-png');
    expect(png.name).toBe('comparison.png');
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Decoded by the browser: the SVG's size (900 × 400 per panel), and both runs' line colours (line-chart.ts's first two) drawn.
    const decoded = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const near = (i: number, [r, g, b]: number[]) => Math.abs(rgba[i] - r) + Math.abs(rgba[i + 1] - g) + Math.abs(rgba[i + 2] - b) <= 30;
      let nonWhite = 0;
      const runs = [0, 0];
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i] + rgba[i + 1] + rgba[i + 2] < 3 * 250) nonWhite++;
        if (near(i, [0x1c, 0x7e, 0xd6])) runs[0]++;
        if (near(i, [0xe8, 0x59, 0x0c])) runs[1]++;
      }
      return { width: bitmap.width, height: bitmap.height, nonWhite, runs };
    }, png.bytes.toString('base64'));
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: 900, height: 4 * 400 });
    expect(decoded.nonWhite).toBeGreaterThan(10_000);
    for (const n of decoded.runs) expect(n).toBeGreaterThan(500);
  });

  it('closes with Esc; the canvas is back', async () => {
    const { page } = studio;
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('comparison').count()).toBe(0);
    expect(await page.locator('[data-testid=node]').count()).toBeGreaterThan(0);
    // the Runs panel lists the two runs by the names the comparison showed (newest first)
    await page.getByTestId('runs-toggle').click();
    await expect.poll(() => page.getByTestId('run-name').allTextContents()).toEqual([...NAMES].reverse());
  });
});
