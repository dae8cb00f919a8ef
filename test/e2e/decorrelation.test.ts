/** The decorrelation family in the browser: the collapse lab by family, and Barlow Twins and VICReg training 3 steps on wasm. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { expectLossAndCollapseDrawn } from '../helpers/charts';
import { loadTemplate, openEditor } from '../helpers/editor';

const STEPS = 3;

describe('the decorrelation family in the editor (wasm)', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('the collapse lab is grouped by family, each with its papers\' words on what prevents collapse and each ablation with its expected outcome', async () => {
    const { page } = studio;
    const families = await page.locator('.lab-family').evaluateAll((ss) => ss.map((s) => (s as HTMLElement).dataset.testid));
    expect(families).toEqual(['lab-negatives', 'lab-asymmetry', 'lab-decorrelation']);
    const lab = page.getByTestId('lab-decorrelation');
    expect(await lab.locator('h4').textContent()).toBe('Decorrelation');
    expect(await lab.locator('.lab-why').textContent()).toContain('“naturally avoids collapse by measuring the cross-correlation matrix');
    expect(await lab.locator('.lab-why').textContent()).toContain('arXiv 2105.04906');
    expect(await lab.locator('.template-card').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.testid))).toEqual([
      'template-collapse-barlow-no-redundancy', 'template-collapse-vicreg-no-covariance', 'template-collapse-vicreg-no-variance',
    ]);
    for (const card of await lab.locator('.template-card').all()) expect(await card.getByTestId('expected').textContent()).toMatch(/^Expected: \S.*\.$/);
    const asymmetry = page.getByTestId('lab-asymmetry');
    expect(await asymmetry.locator('.lab-why').textContent()).toContain('a stop-gradient operation plays an essential role in preventing collapsing');
    expect(await asymmetry.locator('.template-card').count()).toBe(4);
    expect(await page.getByTestId('lab-negatives').locator('.lab-why').textContent()).toContain('treated as negative examples');
  });

  it.each(['barlow-twins', 'vicreg'])('%s: no problems, trains 3 steps on wasm, the loss and collapse charts draw every step, tensors flat', async (key) => {
    const { page } = studio;
    await loadTemplate(page, key);
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('No problems');
    await page.getByTestId('train-steps').fill(String(STEPS));
    await page.getByTestId('train-eval-every').fill('0');
    await page.getByTestId('train-batch').fill('16');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 180_000, interval: 1000 }).toBe('completed');
    expect(await page.getByTestId('progress').getAttribute('data-step')).toBe(String(STEPS));
    // both losses are sums of squares and hinges: positive, and finite
    const loss = Number(await page.getByTestId('metric-loss').textContent());
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(1e4);
    await expectLossAndCollapseDrawn(page, STEPS);
    const counts = (await page.getByTestId('num-tensors').getAttribute('data-history'))!.split(',').map(Number);
    expect(counts).toHaveLength(STEPS);
    expect(new Set(counts).size).toBe(1);
  }, 240_000);
});
