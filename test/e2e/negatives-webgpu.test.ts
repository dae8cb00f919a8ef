/**
 * SimCLR and MoCo v2 on WebGPU in the browser (SwiftShader, a software GPU:
 * very slow, so 2 steps at batch 8 with generous timeouts): each trains and
 * gives finite losses; MoCo's queue figure counts 2 batches of keys.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 2;
const BATCH = 8;

async function trainOnWebgpu(page: Page, key: string): Promise<number> {
  await loadTemplate(page, key);
  await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
  await page.getByTestId('train-steps').fill(String(STEPS));
  await page.getByTestId('train-eval-every').fill('0');
  await page.getByTestId('train-batch').fill(String(BATCH));
  await page.getByTestId('train-backend-choice').selectOption('webgpu');
  await page.getByTestId('train-start').click();
  await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 400_000, interval: 2000 }).toBe('completed');
  expect(await page.getByTestId('train-backend').textContent()).toBe('webgpu');
  expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
  await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points')).toBe(String(STEPS)); // both steps' losses finite (uPlot's non-null values)
  return Number(await page.getByTestId('metric-loss').textContent());
}

describe('SimCLR and MoCo v2 on webgpu (SwiftShader)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']); });
  afterAll(async () => { await studio?.close(); });

  it('SimCLR trains 2 steps at batch 8: a finite loss near log 15 (2·8 anchors, 14 negatives each)', async () => {
    const loss = await trainOnWebgpu(studio.page, 'simclr');
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(loss - Math.log(2 * BATCH - 1))).toBeLessThan(1);
  }, 480_000);

  it('MoCo v2 trains 2 steps at batch 8: a finite loss in (0, log 4097); the queue holds 16 of this run\'s keys', async () => {
    const { page } = studio;
    const loss = await trainOnWebgpu(page, 'moco-v2');
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(Math.log(4097));
    expect(await page.getByTestId('state-figure').textContent()).toBe('queue 16 / 4,096 keys from this run (the rest: the initial random unit vectors)');
  }, 480_000);
});
