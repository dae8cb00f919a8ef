/**
 * Issue 20 (4): training settings belong to the document. The Train strip and
 * the Training panel edit the same `training` block (one undo step each,
 * autosaved, exported), a quick run leaves it alone, and the CLI trains the
 * exported file with what was set in the browser.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { cli, jsonLines } from '../helpers/cli';
import { canvasReady, exportDocument, loadTemplate, openEditor, setParam } from '../helpers/editor';

const training = async (page: Studio['page']) => JSON.parse((await exportDocument(page)).text).training;

describe('training settings in the document', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('the strip edits the document\'s steps, batch, kNN every and seed; the Training panel shows the same values', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    expect(await page.getByTestId('train-steps').inputValue()).toBe('600'); // the document's, not a strip default
    expect(await page.getByTestId('train-batch').inputValue()).toBe('256');
    await page.getByTestId('train-steps').fill('7');
    await page.getByTestId('train-batch').fill('12');
    await page.getByTestId('train-eval-every').fill('3');
    await page.getByTestId('train-seed').fill('4');
    await page.getByTestId('train-seed').press('Enter');
    expect(await training(page)).toMatchObject({ steps: 7, batchSize: 12, seed: 4, evaluation: { everySteps: 3 } });
    expect(await page.getByTestId('param-steps').inputValue()).toBe('7');
    expect(await page.getByTestId('param-batchSize').inputValue()).toBe('12');
    // And back: the panel's batch is the strip's.
    await setParam(page, 'batchSize', '10');
    expect(await page.getByTestId('train-batch').inputValue()).toBe('10');
    // Out of range: refused in place with the schema's message, the document unchanged.
    await page.getByTestId('train-batch').fill('1');
    await page.getByTestId('train-batch').press('Enter');
    expect(await page.getByTestId('train-batch').inputValue()).toBe('1');
    expect(await page.getByTestId('train-batch').locator('..').getAttribute('title')).toBe('must be an integer between 2 and 65536');
    expect((await training(page)).batchSize).toBe(10);
  }, 120_000);

  it('the Training panel edits the optimizer and schedule: one undo step each, autosaved; the CLI trains the exported file with that lr', async () => {
    const { page } = studio;
    await setParam(page, 'optimizer.lr', '0.0123');
    await setParam(page, 'schedule.decay', 'constant');
    await setParam(page, 'optimizer.momentum', '0.5');
    expect((await training(page)).optimizer).toEqual({ type: 'sgd', lr: 0.0123, momentum: 0.5, nesterov: false, weightDecay: 5e-4 });
    await page.keyboard.press('Control+z');
    expect(await page.getByTestId('param-optimizer.momentum').inputValue()).toBe('0.9');
    expect(await page.getByTestId('param-optimizer.lr').inputValue()).toBe('0.0123');
    await page.keyboard.press('Control+Shift+z');
    expect(await page.getByTestId('param-optimizer.momentum').inputValue()).toBe('0.5');
    // Another optimizer: its own fields, with its defaults.
    await setParam(page, 'optimizer.type', 'lars');
    expect(await page.getByTestId('param-optimizer.trustCoefficient').inputValue()).toBe('0.001');
    await page.keyboard.press('Control+z');
    expect(await page.getByTestId('param-optimizer.type').inputValue()).toBe('sgd');
    // Autosaved: a reload brings the same settings back.
    await page.waitForTimeout(600);
    await page.reload();
    await canvasReady(page);
    expect(await page.getByTestId('param-optimizer.lr').inputValue()).toBe('0.0123');
    expect(await page.getByTestId('train-steps').inputValue()).toBe('7');
    // Exported, then trained by the CLI for one step (warmup 0, constant: step 1's lr is the base lr).
    const { text } = await exportDocument(page);
    const file = join(mkdtempSync(join(tmpdir(), 'siamese-training-')), 'simsiam.json');
    writeFileSync(file, text);
    const r = await cli('train', file, '--data', 'fashion-mnist', '--steps', '1', '--batch', '8', '--backend', 'wasm', '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const step1 = jsonLines(r.stdout).find((l) => l.step === 1 && 'loss' in l);
    expect(step1.lr).toBe(0.0123);
  }, 240_000);

  it('a quick run says so, trains 30 steps at batch 32 and leaves the document\'s steps and batch as they are', async () => {
    const { page } = studio;
    await page.getByTestId('train-quick-run').check();
    expect(await page.getByTestId('train-quick-note').textContent()).toBe('30 steps at batch 32 — the document keeps 7 × 10');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('progress').getAttribute('data-step'), { timeout: 120_000 }).not.toBe('0');
    expect(await page.getByTestId('train-status').textContent()).toContain('/ 30');
    await page.getByTestId('train-stop').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('stopped');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-report').click()]);
    const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(report.settings).toMatchObject({ steps: 30, batchSize: 32, seed: 4 });
    expect(report.document.training).toMatchObject({ steps: 7, batchSize: 10 });
    expect(await training(page)).toMatchObject({ steps: 7, batchSize: 10 });
  }, 180_000);
});
