import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeKinds } from '../../src/nodes';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { template } from '../helpers/docs';
import { openStudio, type Studio } from '../helpers/browser';

describe('the app in Chromium', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openStudio(); });
  afterAll(async () => { await studio?.close(); });

  it('shows every node kind of the registry in the palette, grouped', async () => {
    const { page } = studio;
    await page.getByTestId('palette-item').first().waitFor();
    expect(await page.getByTestId('palette-item').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type))).toEqual(nodeKinds.map((k) => k.type));
    expect(await page.locator('.palette h3').allTextContents()).toEqual(['Data', 'Augment', 'Modules', 'Gradient flow', 'Loss']);
  });

  it('opens on SimSiam with inferred shapes and no problems, and loads BYOL', async () => {
    const { page } = studio;
    expect(await page.getByTestId('doc-name').textContent()).toBe('SimSiam');
    expect(await page.getByTestId('node').count()).toBe(7);
    expect(await page.locator('[data-testid=node][data-id=proj] .shape').first().textContent()).toContain('output: 2×B×128');
    expect(await page.getByTestId('problems').textContent()).toContain('No problems');
    expect(await page.locator('[data-testid=template-select] optgroup').evaluateAll((gs) => gs.map((g) => [g.getAttribute('label'), g.children.length]))).toEqual([['Papers', 2], ['Collapse lab', 4]]);
    await page.getByTestId('template-select').selectOption('collapse-no-final-bn-no-stop-gradient');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('likely to collapse');
    await page.getByTestId('template-select').selectOption('byol');
    await expect.poll(() => page.getByTestId('doc-name').textContent()).toBe('BYOL');
    expect(await page.getByTestId('node').count()).toBe(11);
  });

  it('Export → PyTorch downloads the same script as the CLI writes', async () => {
    const { page } = studio;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pytorch').click()]);
    expect(download.suggestedFilename()).toBe('byol-train.py');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toBe(exportPytorch(template('byol')));
  });
});
