/**
 * A CLI run folder in the Runs panel (new-user trial): imported twice (or a
 * copy of it) it stays one run, and says so; its date is the run's own, not
 * the import's; its View is titled with its name, and every chart's x axis
 * ends at its last step, also the kNN's, evaluated only there.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { chartView } from '../helpers/charts';
import { cli, writeFashionMnistLike } from '../helpers/cli';
import { openEditor } from '../helpers/editor';

const STEPS = 4;
/** The run's start: months before this test imports it. */
const STARTED = new Date('2026-03-04T12:06:00.000Z');

const rows = (page: Page) => page.getByTestId('run-row').evaluateAll((trs) => trs.map((tr) => ({
  name: tr.querySelector('[data-testid=run-name]')?.textContent?.trim(),
  date: tr.querySelector('[data-testid=run-date]')?.textContent?.trim(),
  steps: tr.querySelector('[data-testid=run-steps]')?.textContent?.trim(),
})));

describe('a CLI run folder imported into the Runs panel', () => {
  let studio: Studio;
  const work = mkdtempSync(join(tmpdir(), 'siamese-runs-import-'));
  const out = join(work, 'cli-run');
  const copy = join(work, 'elsewhere', 'cli-run-again');
  beforeAll(async () => {
    const data = `fashion-mnist=${writeFashionMnistLike(join(work, 'data'), 64, 32)}`;
    const trained = await cli('train', 'templates/simsiam.json', '--data', data, '--steps', String(STEPS), '--batch', '8', '--backend', 'wasm', '--eval-every', String(STEPS), '--out', out);
    expect(trained.code, trained.stderr).toBe(0);
    // A folder of a train from before run.json recorded createdAt: its start is when run.json was written (train writes it first).
    const { createdAt: _, ...older } = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    writeFileSync(join(out, 'run.json'), JSON.stringify(older));
    utimesSync(join(out, 'run.json'), STARTED, STARTED);
    cpSync(out, copy, { recursive: true, preserveTimestamps: true });
    studio = await openEditor();
    await studio.page.setViewportSize({ width: 1280, height: 720 });
  }, 120_000);
  afterAll(async () => {
    await studio?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is one run however often it is imported (the same folder, or a copy of it), with the run\'s own date', async () => {
    const { page } = studio;
    await page.getByTestId('runs-toggle').click();
    await page.getByTestId('runs-import-input').setInputFiles(out);
    await expect.poll(() => rows(page), { timeout: 30_000 }).toHaveLength(1);
    const [row] = await rows(page);
    expect(row).toMatchObject({ name: 'cli-run', steps: String(STEPS) });
    expect(row.date).toMatch(/^4 Mar 2026, \d\d:\d\d$/); // not today: the import's time
    for (const [dir, folder] of [[out, 'cli-run'], [copy, 'cli-run-again']]) {
      await page.getByTestId('runs-import-input').setInputFiles(dir);
      await expect.poll(() => page.getByTestId('toast').allTextContents(), { message: folder, timeout: 10_000 }).toContainEqual(expect.stringContaining(`Not imported: ${folder} is already in the history: cli-run`));
      expect(await rows(page)).toEqual([row]);
    }
    expect(await page.getByTestId('runs-import-error').count()).toBe(0);
  });

  it('View: titled with the run\'s name; every chart\'s x axis ends at the last step, the kNN (one point, at that step) too', async () => {
    const { page } = studio;
    await page.getByTestId('run-select').check();
    await page.getByTestId('runs-compare').click();
    await page.getByTestId('comparison').waitFor();
    expect(await page.getByTestId('compare-title').textContent()).toBe('cli-run');
    expect(await page.getByTestId('comparison').getAttribute('aria-label')).toBe('cli-run');
    for (const metric of ['loss', 'std', 'rank', 'knn']) {
      const id = `compare-chart-${metric}`;
      await expect.poll(() => page.getByTestId(id).getAttribute('data-x-range'), { message: id, timeout: 10_000 }).toBe(`1,${STEPS}`);
      const view = await chartView(page, id);
      expect(view.rightEdge[0], `${id}: the run's value at the last step, at the plot's right edge`).toBeGreaterThan(0);
    }
    expect(await page.getByTestId('compare-chart-knn').getAttribute('data-points')).toBe('1');
  });
});
