/** SimCLR in the browser: its templates in the gallery, and SimCLR training 3 steps on wasm with its charts drawn. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { expectLossAndCollapseDrawn } from '../helpers/charts';
import { loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 3;
const BATCH = 16;

describe('SimCLR in the editor (wasm)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('the gallery has SimCLR and its batch-16 ablation, each quoting the paper', async () => {
    const { page } = studio;
    for (const key of ['simclr', 'collapse-simclr-batch16']) {
      const card = page.getByTestId(`template-${key}`);
      expect(await card.count(), key).toBe(1);
      expect(await card.getAttribute('title'), key).toContain('arXiv 2002.05709');
    }
    expect(await page.getByTestId('template-simclr').textContent()).toMatch(/^SimCLR/);
  });

  it('no problems, trains 3 steps on wasm, the loss and collapse charts draw every step, tensors flat', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simclr');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    expect(await page.locator('[data-testid=badge-warning]').count()).toBe(0);
    await page.getByTestId('train-steps').fill(String(STEPS));
    await page.getByTestId('train-eval-every').fill('0');
    await page.getByTestId('train-batch').fill(String(BATCH));
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 180_000, interval: 1000 }).toBe('completed');
    expect(await page.getByTestId('train-backend').textContent()).toBe('wasm');
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
    // 2·16 anchors: NT-Xent starts near log 31 and is never negative
    const loss = Number(await page.getByTestId('metric-loss').textContent());
    expect(loss).toBeGreaterThan(0);
    expect(Math.abs(loss - Math.log(2 * BATCH - 1))).toBeLessThan(1);
    await expectLossAndCollapseDrawn(page, STEPS);
    const counts = (await page.getByTestId('num-tensors').getAttribute('data-history'))!.split(',').map(Number);
    expect(counts).toHaveLength(STEPS);
    expect(new Set(counts).size).toBe(1);
  }, 240_000);
});
