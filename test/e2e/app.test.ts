import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeKinds } from '../../src/nodes';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { template } from '../helpers/docs';
import type { Studio } from '../helpers/browser';
import { canvasReady, loadTemplate, nodeLocator, openEditor } from '../helpers/editor';

describe('the app in Chromium', () => {
  let studio: Studio;
  const requests: string[] = [];
  beforeAll(async () => {
    studio = await openEditor();
  });
  afterAll(async () => { await studio?.close(); });

  it('loads no tfjs, no elkjs and no umap-js on first load', async () => {
    const { page } = studio;
    page.on('request', (r) => requests.push(r.url()));
    await page.reload();
    await canvasReady(page);
    expect(requests.filter((u) => u.includes('/src/editor/')).length).toBeGreaterThan(0);
    expect(requests.filter((u) => /tensorflow|tfjs|elkjs|umap/.test(u))).toEqual([]);
  });

  it('shows every node kind of the registry in the palette, grouped, with its one-line description', async () => {
    const { page } = studio;
    const items = page.locator('[data-testid^=palette-item-]');
    expect(await items.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.testid))).toEqual(nodeKinds.map((k) => `palette-item-${k.type}`));
    expect(await page.locator('.palette h3').allTextContents()).toEqual(['Data', 'Augment', 'Modules', 'Gradient flow', 'Loss']);
    expect(await page.getByTestId('palette-item-ema').textContent()).toContain(nodeKinds.find((k) => k.type === 'ema')!.doc);
  });

  it('opens on SimSiam with inferred shapes and no problems; the gallery groups papers and the collapse lab', async () => {
    const { page } = studio;
    expect(await page.getByTestId('doc-name').textContent()).toBe('SimSiam');
    expect(await page.getByTestId('node').count()).toBe(7);
    expect(await nodeLocator(page, 'proj').locator('[data-testid=output-output] [data-testid=shape]').textContent()).toBe('2×B×128');
    expect(await page.getByTestId('problems').textContent()).toContain('No problems');
    expect(await page.locator('.gallery h3').allTextContents()).toEqual(['Templates', 'Collapse lab']);
    expect(await page.locator('.template-card').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.testid))).toEqual([
      'template-barlow-twins', 'template-byol', 'template-moco-v2', 'template-simclr', 'template-simsiam', 'template-vicreg',
      // the collapse lab by family: negatives, asymmetry, decorrelation
      'template-collapse-moco-m0', 'template-collapse-simclr-batch16',
      'template-collapse-no-final-bn-no-stop-gradient', 'template-collapse-no-final-bn', 'template-collapse-no-predictor', 'template-collapse-no-stop-gradient',
      'template-collapse-barlow-no-redundancy', 'template-collapse-vicreg-no-covariance', 'template-collapse-vicreg-no-variance',
    ]);
    expect(await page.getByTestId('template-simsiam').textContent()).toBe('SimSiamOne shared encoder f and projector on both views, a predictor h, and a stop-gradient on the target side.');
    expect(await page.getByTestId('template-simsiam').getAttribute('title')).toContain('Chen & He 2020');
    await loadTemplate(page, 'collapse-no-final-bn-no-stop-gradient');
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('likely to collapse');
    expect(await page.locator('[data-testid=badge-warning]').count()).toBeGreaterThan(0);
    await loadTemplate(page, 'byol');
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

  it('remembers the backend choice across a reload; a remembered one this browser lacks falls back to auto, saying so', async () => {
    const { page } = studio;
    const choice = page.getByTestId('train-backend-choice');
    const toasts = () => page.getByTestId('toast').locator('.toast-text').allTextContents();
    await choice.selectOption('wasm');
    await page.reload();
    await canvasReady(page);
    expect(await choice.inputValue()).toBe('wasm');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
    // webgpu remembered, and a browser without WebGPU (this page's made so): auto, with a message, and Train can start
    await choice.selectOption('webgpu');
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
    await page.reload();
    await canvasReady(page);
    await expect.poll(() => choice.inputValue()).toBe('auto');
    expect(await toasts()).toContain('The remembered backend webgpu is not available in this browser (no WebGPU adapter): auto instead.');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
    await page.reload();
    await canvasReady(page);
    expect(await choice.inputValue()).toBe('auto');
    expect(await toasts()).toEqual([]);
  });
});
