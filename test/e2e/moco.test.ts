/**
 * MoCo v2 in the browser: it trains 3 steps on wasm, its charts draw, and the
 * run dock shows how full the queue is with this run's keys after every step.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { expectLossAndCollapseDrawn } from '../helpers/charts';
import { clickNode, loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 3;
const BATCH = 16;

/** Starts a wasm run and records the queue figure's data-value each time the page changes it (installed before the first step). */
async function trainRecordingFigure(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { figureSeen: string[] }).figureSeen = seen;
    new MutationObserver(() => {
      const value = document.querySelector('[data-testid=state-figure]')?.getAttribute('data-value');
      if (value && value !== seen.at(-1)) seen.push(value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-value'] });
  });
  await page.getByTestId('train-steps').fill(String(STEPS));
  await page.getByTestId('train-eval-every').fill('0');
  await page.getByTestId('train-batch').fill(String(BATCH));
  await page.getByTestId('train-backend-choice').selectOption('wasm');
  await page.getByTestId('train-start').click();
  await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 180_000, interval: 1000 }).toBe('completed');
}
const figureSeen = (page: Page) => page.evaluate(() => (window as unknown as { figureSeen: string[] }).figureSeen.map(Number));

describe('MoCo v2 in the editor (wasm)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('trains 3 steps on wasm: the loss and collapse charts draw every step, the queue holds 3 batches of this run\'s keys, tensors flat', async () => {
    const { page } = studio;
    await loadTemplate(page, 'moco-v2');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    expect(await page.locator('[data-testid=badge-warning]').count()).toBe(0);
    await trainRecordingFigure(page);
    expect(await page.getByTestId('train-backend').textContent()).toBe('wasm');
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
    // InfoNCE against 4096 negatives: positive, and under log 4097 = 8.32 (chance), since the two views' keys are closer than random unit vectors
    const loss = Number(await page.getByTestId('metric-loss').textContent());
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(Math.log(4097));
    await expectLossAndCollapseDrawn(page, STEPS);
    // one batch of keys enqueued per step, shown after each
    expect(await figureSeen(page)).toEqual([16, 32, 48]);
    const figure = page.getByTestId('state-figure');
    expect(await figure.textContent()).toBe('queue 48 / 4,096 keys from this run (the rest: the initial random unit vectors)');
    expect(await figure.getAttribute('title')).toMatch(/^queue: queue 48 \/ 4,096/);
    const counts = (await page.getByTestId('num-tensors').getAttribute('data-history'))!.split(',').map(Number);
    expect(counts).toHaveLength(STEPS);
    expect(new Set(counts).size).toBe(1);
  }, 240_000);

  it('a queue of K = 32 is full after 3 steps of 16 keys: "32 / 32", nothing of the initial vectors left', async () => {
    const { page } = studio;
    const unfold = page.getByTestId('palette-unfold');
    if (await unfold.count()) await unfold.click();
    await clickNode(page, 'queue');
    await page.getByTestId('param-size').fill('32');
    await page.getByTestId('param-size').press('Enter');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    await trainRecordingFigure(page);
    expect(await figureSeen(page)).toEqual([16, 32]);
    expect(await page.getByTestId('state-figure').textContent()).toBe('queue 32 / 32 keys from this run');
    // 32 negatives now: under chance, log 33 = 3.50
    const loss = Number(await page.getByTestId('metric-loss').textContent());
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(Math.log(33));
  }, 240_000);
});
