/**
 * Evaluate in the editor (#19 point 3): the linear probe of a finished run's
 * encoder, in the run's worker, with its progress on screen, and its top-1 the
 * same as the runtime's probe in Node on the same weights (the downloaded
 * encoder.safetensors) and the same images (the embedded t10k: scored on its
 * first 1000, trained on the 5000 after them).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedFashionMnist } from '../../src/runtime/data/embedded';
import { loadEncoderTensors } from '../../src/runtime/export';
import { probeEncoder } from '../../src/runtime/linear-probe';
import { compile } from '../../src/runtime/program';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import type { Studio } from '../helpers/browser';
import { root } from '../helpers/browser';
import { template } from '../helpers/docs';
import { canvasReady, loadTemplate, openEditor } from '../helpers/editor';
import { tfOn } from '../helpers/runtime';

describe('Evaluate: the linear probe in the browser', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('after a 3-step SimSiam run on wasm: progress while it runs, then the top-1 Node computes on the same weights and images', async () => {
    const { page } = studio;
    await canvasReady(page);
    await loadTemplate(page, 'simsiam');
    const probe = page.getByTestId('metric-probe');
    expect(await probe.textContent()).toBe('–');
    expect(await page.getByTestId('train-evaluate').isDisabled()).toBe(true); // nothing trained yet
    await page.getByTestId('train-steps').fill('3');
    await page.getByTestId('train-eval-every').fill('0');
    await page.getByTestId('train-batch').fill('16');
    await page.getByTestId('train-backend-choice').selectOption('wasm');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');

    await page.getByTestId('train-evaluate').click();
    const seen = new Set<string>();
    await expect.poll(async () => {
      seen.add((await probe.textContent())!);
      return probe.getAttribute('data-state');
    }, { timeout: 180_000, interval: 100 }).toBe('done');
    // what a person saw while it ran: the encoding, then L-BFGS iterations
    const iterations = [...seen].filter((t) => t.startsWith('iteration ')).map((t) => Number(t.slice(10)));
    expect(iterations.length, [...seen].join(' | ')).toBeGreaterThan(0);
    expect(iterations.every((i) => i >= 1 && i <= 1000)).toBe(true);
    const shown = (await probe.textContent())!;
    expect(shown).toMatch(/^\d+\.\d %$/);
    expect(await page.getByTestId('train-evaluate').isDisabled()).toBe(false);
    expect(await probe.locator('..').getAttribute('title')).toMatch(/^linear probe after step 3: trained on 5,000 images, scored on 1,000 \(\d+ L-BFGS iterations\)$/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-encoder').click()]);
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync((await download.path())!)), 'encoder.safetensors');
    await tfOn('wasm');
    const embedded = await embeddedFashionMnist(async (name) => new Uint8Array(readFileSync(`${root}/public/data/fashion-mnist/${name}`)));
    const set = embedded.test;
    const after = { ...set, images: set.images.subarray(1000 * 784), labels: set.labels.subarray(1000), count: set.count - 1000 };
    const program = compile(template('simsiam'), { dataset: embedded, batchSize: 16, steps: 3 });
    program.init();
    try {
      loadEncoderTensors(program, tensors, 'encoder.safetensors');
      const node = await probeEncoder(program, { ...embedded, train: after }, { train: 5000, test: 1000 });
      // one deterministic protocol on the same features (wasm in both): the same count of the 1000, shown to 0.1 %
      expect(shown).toBe(`${(100 * node.top1).toFixed(1)} %`);
      expect(node.top1).toBeGreaterThan(0.5);
    } finally {
      program.dispose();
    }
  }, 400_000);
});
