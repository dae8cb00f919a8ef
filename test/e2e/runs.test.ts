/**
 * Issue 19, point 1: the run history in the browser. Runs trained in the
 * editor are listed in the Runs panel after a reload and after a browser
 * restart (the same profile); rename and delete last; a failed run keeps its
 * reason and last good figures; a CLI run folder imports, a bad one is
 * refused by name; an exported run folder is read by the CLI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGS, CHROMIUM, devServer, serverUrl } from '../helpers/browser';
import { cli, writeFashionMnistLike } from '../helpers/cli';
import { canvasReady, loadTemplate } from '../helpers/editor';

const STEPS = 20;
const BATCH = 32;
const status = (page: Page) => page.getByTestId('train-status').getAttribute('data-status');

async function train(page: Page, steps: number, batch: number, evalEvery: number) {
  await page.getByTestId('train-steps').fill(String(steps));
  await page.getByTestId('train-eval-every').fill(String(evalEvery));
  await page.getByTestId('train-batch').fill(String(batch));
  await page.getByTestId('train-batch').blur(); // committed before Train is clicked: the strip's layout shifts when its figures change
  await page.getByTestId('train-backend-choice').selectOption('wasm');
  await page.getByTestId('train-start').click();
}

/** What the Runs panel lists, row by row, as a person reads it. */
async function rows(page: Page) {
  if (!(await page.getByTestId('runs-panel').count())) await page.getByTestId('runs-toggle').click();
  await page.getByTestId('runs-panel').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=run-row]') || document.querySelector('[data-testid=runs-empty]'));
  return page.getByTestId('run-row').evaluateAll((trs) => trs.map((tr) => {
    const cell = (id: string) => tr.querySelector(`[data-testid=${id}]`)?.textContent?.trim() ?? '';
    return { name: cell('run-name'), method: cell('run-method'), steps: cell('run-steps'), knn: cell('run-knn'), collapsed: cell('run-collapsed'), status: tr.getAttribute('data-status'), reason: cell('run-reason') };
  }));
}
const closePanel = (page: Page) => page.getByTestId('runs-close').click();

describe('the run history (IndexedDB) and the Runs panel', () => {
  let server: ViteDevServer;
  let context: BrowserContext;
  let page: Page;
  const profile = mkdtempSync(join(tmpdir(), 'siamese-runs-profile-'));
  const work = mkdtempSync(join(tmpdir(), 'siamese-runs-'));
  const errors: string[] = [];
  async function launch() {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, acceptDownloads: true, viewport: { width: 1280, height: 720 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(serverUrl(server));
    await canvasReady(page);
  }
  beforeAll(async () => {
    server = await devServer();
    await launch();
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  it(`keeps two runs (SimSiam and its no-stop-gradient ablation, ${STEPS} steps at batch ${BATCH} on wasm) across a reload and a browser restart`, async () => {
    expect(await rows(page)).toEqual([]);
    await expect.poll(() => page.getByTestId('runs-empty').textContent()).toMatch(/^No runs yet/);
    await closePanel(page);
    for (const key of ['simsiam', 'collapse-no-stop-gradient']) {
      await loadTemplate(page, key);
      await train(page, STEPS, BATCH, STEPS);
      await expect.poll(() => status(page), { timeout: 300_000, interval: 1000 }).toBe('completed');
    }
    const expected = [
      { name: 'SimSiam without stop-gradient #1', method: 'SimSiam without stop-gradient', steps: String(STEPS), status: 'completed', reason: '' },
      { name: 'SimSiam #1', method: 'SimSiam', steps: String(STEPS), status: 'completed', reason: '' },
    ];
    const listed = await rows(page);
    expect(listed.map(({ knn: _k, collapsed: _c, ...r }) => r)).toEqual(expected);
    for (const r of listed) {
      expect(r.knn).toMatch(/^\d+\.\d %$/); // the final kNN evaluation, at the last step
      expect(Number(r.knn.replace(' %', ''))).toBeGreaterThan(10);
      expect(['yes', 'no']).toContain(r.collapsed);
    }
    const shown = (await page.getByTestId('runs-storage').textContent())!;
    expect(shown).toMatch(/^[\d.]+ (KiB|MiB|GiB) of [\d.]+ (KiB|MiB|GiB) used$/);
    const box = (await page.getByTestId('runs-panel').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    expect(box.y + box.height).toBeLessThanOrEqual(720);

    await page.reload();
    await canvasReady(page);
    expect(await rows(page)).toEqual(listed);

    await context.close();
    await launch();
    expect(await rows(page)).toEqual(listed);

    // one selected: View shows that kept run's own curves (its dashboard is gone after the restart)
    expect(await page.getByTestId('runs-compare').isDisabled()).toBe(true);
    await page.getByTestId('run-select').first().check();
    expect(await page.getByTestId('runs-compare').textContent()).toBe('View');
    await page.getByTestId('runs-compare').click();
    await page.getByTestId('comparison').waitFor();
    expect((await page.getByTestId('compare-legend-run').allTextContents()).map((t) => t.trim())).toHaveLength(1);
    await expect.poll(() => page.getByTestId('compare-chart-loss').getAttribute('data-points')).toBe('20');
    expect(await page.getByTestId('compare-differences').count()).toBe(0);
    await page.getByTestId('compare-close').click();
    await rows(page); // the panel, open again (View closed it)

    // both selected: the comparison view shows them, and names the removed stop-gradient
    for (const box of await page.getByTestId('run-select').all()) await box.check();
    expect(await page.getByTestId('runs-compare').textContent()).toBe('Compare');
    await page.getByTestId('runs-compare').click();
    await page.getByTestId('comparison').waitFor();
    expect(await page.getByTestId('runs-panel').count()).toBe(0);
    expect((await page.getByTestId('compare-legend-run').allTextContents()).map((t) => t.trim())).toEqual(['SimSiam #1', 'SimSiam without stop-gradient #1']);
    expect((await page.getByTestId('compare-change').allTextContents()).join('\n')).toMatch(/stop-gradient/);
    await page.getByTestId('compare-close').click();
  }, 900_000);

  it('renames inline (Enter keeps, Escape cancels; the name survives a reload) and deletes after asking', async () => {
    await rows(page); // the panel, open again (Compare closed it)
    const row = page.getByTestId('run-row').nth(1);
    await row.getByTestId('run-name').click();
    await row.getByTestId('run-name-input').fill('never kept');
    await row.getByTestId('run-name-input').press('Escape');
    expect((await rows(page))[1].name).toBe('SimSiam #1');
    await row.getByTestId('run-name').click();
    await row.getByTestId('run-name-input').fill('healthy SimSiam');
    await row.getByTestId('run-name-input').press('Enter');
    expect((await rows(page))[1].name).toBe('healthy SimSiam');
    expect(await page.getByTestId('runs-problem').count()).toBe(0);
    await page.reload();
    await canvasReady(page);
    expect((await rows(page)).map((r) => r.name)).toEqual(['SimSiam without stop-gradient #1', 'healthy SimSiam']);

    // Delete is an icon drawn in SVG (🗑 was a box without an emoji font), named for assistive technology
    const remove = page.getByRole('button', { name: 'Delete run “SimSiam without stop-gradient #1”' });
    expect(await remove.getAttribute('data-testid')).toBe('run-delete');
    expect(await remove.textContent()).toBe('');
    expect(await remove.locator('svg path').count()).toBe(1);
    expect((await remove.locator('svg').boundingBox())!.width).toBeGreaterThanOrEqual(10);
    await page.getByTestId('run-row').nth(0).getByTestId('run-delete').click();
    await page.getByTestId('confirm-cancel').click();
    expect(await rows(page)).toHaveLength(2);
    await page.getByTestId('run-row').nth(0).getByTestId('run-delete').click();
    expect(await page.getByTestId('confirm-dialog').locator('p').textContent()).toMatch(/^Delete run "SimSiam without stop-gradient #1" \(20 steps\)/);
    await page.getByTestId('confirm-ok').click();
    await expect.poll(async () => (await rows(page)).map((r) => r.name)).toEqual(['healthy SimSiam']);
    await page.reload();
    await canvasReady(page);
    expect((await rows(page)).map((r) => r.name)).toEqual(['healthy SimSiam']);

    // A long name without spaces wraps in its cell: the table fits the panel, the actions stay in view (they were scrolled out of it)
    const kept = page.getByTestId('run-row').nth(0);
    await kept.getByTestId('run-name').click();
    await kept.getByTestId('run-name-input').fill('x'.repeat(120));
    await kept.getByTestId('run-name-input').press('Enter');
    await expect.poll(async () => (await rows(page))[0].name).toBe('x'.repeat(120));
    const panel = page.getByTestId('runs-panel');
    expect(await panel.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    const [box, del] = [(await panel.boundingBox())!, (await kept.getByTestId('run-delete').boundingBox())!];
    expect(del.x + del.width).toBeLessThanOrEqual(box.x + box.width);
    const lines = (el: Element) => { const r = document.createRange(); r.selectNodeContents(el); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; };
    expect(await kept.getByTestId('run-date').evaluate(lines)).toBe(1); // one line, not "2 / Dec / 2026"
  }, 120_000);

  it('keeps a failed run (NaN at step 3) with its reason and its last good figures', async () => {
    await page.goto(`${serverUrl(server)}?inject-nan-at=3`);
    await canvasReady(page);
    await loadTemplate(page, 'simsiam');
    await train(page, 6, 16, 0);
    await expect.poll(() => status(page), { timeout: 180_000, interval: 1000 }).toBe('failed');
    const failed = { name: 'SimSiam #2', method: 'SimSiam', steps: '2', status: 'failed', reason: 'loss is NaN at step 3: training stopped (step 3\'s update was not applied)' };
    await expect.poll(async () => (await rows(page))[0], { timeout: 10_000 }).toMatchObject(failed);
    await page.goto(serverUrl(server));
    await canvasReady(page);
    expect((await rows(page))[0]).toMatchObject({ ...failed, knn: '–' });
    await closePanel(page);
  }, 240_000);

  it('keeps the final encoder where asked (size shown) and the probe once Evaluate ran; its exported folder is evaluated by the CLI', async () => {
    await page.getByTestId('runs-toggle').click();
    await page.getByTestId('runs-keep-weights').check();
    await closePanel(page);
    await loadTemplate(page, 'simsiam');
    await train(page, 3, 16, 0);
    await expect.poll(() => status(page), { timeout: 180_000, interval: 1000 }).toBe('completed');
    await page.getByTestId('train-evaluate').click();
    await expect.poll(() => page.getByTestId('metric-probe').getAttribute('data-state'), { timeout: 240_000, interval: 500 }).toBe('done');
    const probe = (await page.getByTestId('metric-probe').textContent())!;
    await page.getByTestId('runs-toggle').click();
    const row = page.getByTestId('run-row').first();
    await expect.poll(() => row.getByTestId('run-probe').textContent()).toBe(probe);
    expect(await row.getByTestId('run-name').textContent()).toBe('SimSiam #3');
    expect(await row.getByTestId('run-weights').textContent()).toMatch(/^[\d.]+ (KiB|MiB)$/);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('run-export').click()]);
    const zipped = unzipSync(new Uint8Array(await readFile((await download.path())!)));
    expect(Object.keys(zipped).sort()).toEqual(['simsiam-3/encoder.safetensors', 'simsiam-3/graph.json', 'simsiam-3/metrics.jsonl', 'simsiam-3/run.json']);
    const dir = join(work, 'with-weights');
    mkdirSync(join(dir, 'simsiam-3'), { recursive: true });
    for (const [name, bytes] of Object.entries(zipped)) writeFileSync(join(dir, name), bytes);
    const done = new TextDecoder().decode(zipped['simsiam-3/metrics.jsonl']).trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    expect(done).toMatchObject({ done: true, steps: 3 });
    expect(`${(100 * done.probeTop1).toFixed(1)} %`).toBe(probe);
    const evaluated = await cli('evaluate', join(dir, 'simsiam-3'), '--knn', '--data', `fashion-mnist=${writeFashionMnistLike(join(work, 'data-eval'), 64, 32)}`, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).knnTop1).toBeGreaterThan(0);
    await page.getByTestId('runs-keep-weights').uncheck();
    await closePanel(page);
  }, 600_000);

  it('keeps a run cut off by a reload (the tab closed mid-run) with what it had logged, and says so', async () => {
    await loadTemplate(page, 'simsiam');
    await train(page, 200, 16, 0);
    const shownStep = async () => Number(await page.getByTestId('progress').getAttribute('data-step'));
    await expect.poll(shownStep, { timeout: 180_000, interval: 250 }).toBeGreaterThanOrEqual(4);
    // The log is written every second: what was shown a second ago is kept, steps since then may not be (a write cut off by the unload is lost).
    const before = await shownStep();
    await page.waitForTimeout(2500);
    await page.reload();
    await canvasReady(page);
    const row = (await rows(page))[0];
    expect(row).toMatchObject({ name: 'SimSiam #4', method: 'SimSiam', status: 'failed' });
    const kept = Number(row.steps);
    expect(row.reason).toBe(`the page was closed or reloaded during the run: kept up to step ${kept}`);
    expect(kept).toBeGreaterThanOrEqual(before);
    await closePanel(page);
  }, 300_000);

  it('imports a CLI run folder (and refuses a folder that is not one, naming it); an exported run folder is read by the CLI', async () => {
    const data = `fashion-mnist=${writeFashionMnistLike(join(work, 'data'), 64, 32)}`;
    const out = join(work, 'cli-run');
    const trained = await cli('train', 'templates/simsiam.json', '--data', data, '--steps', '3', '--batch', '8', '--backend', 'wasm', '--eval-every', '3', '--out', out);
    expect(trained.code, trained.stderr).toBe(0);
    const before = await rows(page);

    const notRun = join(work, 'not-a-run');
    mkdirSync(notRun);
    writeFileSync(join(notRun, 'notes.txt'), 'hello');
    await page.getByTestId('runs-import-input').setInputFiles(notRun);
    await expect.poll(() => page.getByTestId('runs-import-error').textContent()).toMatch(/^not-a-run: no run\.json — not a Siamese Studio run folder/);
    expect(await rows(page)).toEqual(before);

    await page.getByTestId('runs-import-input').setInputFiles(out);
    await expect.poll(async () => (await rows(page)).length).toBe(before.length + 1);
    const imported = (await rows(page)).find((r) => r.name === 'cli-run')!;
    expect(imported).toMatchObject({ method: 'SimSiam', steps: '3', status: 'completed' });
    expect(imported.knn).toMatch(/^\d+\.\d %$/);
    const cliKnn = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).findLast((r) => r.knnTop1 !== undefined).knnTop1;
    expect(imported.knn).toBe(`${(100 * cliKnn).toFixed(1)} %`);

    // the browser's failed run, exported, against the CLI's run: the CLI compares them
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-row').filter({ hasText: 'SimSiam #2' }).getByTestId('run-export').click()]);
    expect(download.suggestedFilename()).toBe('simsiam-2.zip');
    const zipped = unzipSync(new Uint8Array(await readFile((await download.path())!)));
    expect(Object.keys(zipped).sort()).toEqual(['simsiam-2/graph.json', 'simsiam-2/metrics.jsonl', 'simsiam-2/run.json']);
    const exported = join(work, 'exported');
    mkdirSync(join(exported, 'simsiam-2'), { recursive: true });
    for (const [name, bytes] of Object.entries(zipped)) writeFileSync(join(exported, name), bytes);
    const compared = await cli('compare', out, join(exported, 'simsiam-2'), '--json');
    expect(compared.code, compared.stderr).toBe(0);
    const json = JSON.parse(compared.stdout);
    expect(json.figures.map((f: { steps: number }) => f.steps)).toEqual([3, 2]);
    expect(json.runs[1].training).toMatchObject({ steps: 6, batchSize: 16 });
  }, 300_000);
});
