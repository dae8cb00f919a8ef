/**
 * The editor's figures: first-load JavaScript (gzip) of a production build,
 * and the time to import and render a 300-node document in Chromium (the
 * median of five first visits).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serializeGraph } from '../src/graph';
import { replicate, template } from '../test/helpers/docs';
import type { Page } from 'playwright-core';
import { openBuiltStudio, openPage } from '../test/helpers/browser';

export interface EditorFigures {
  firstLoadGzipKiB: number;
  firstLoadFiles: string[];
  lazyGzipKiB: number;
  /** The median of `importRenderRuns`. */
  importRenderMs: number;
  /** One import per first visit (a fresh browser profile each: nothing cached, nothing compiled yet). */
  importRenderRuns: number[];
  nodes: number;
  /** SimSiam's training step in the page's worker, wasm at the bench's --batch (the median of steps 2–6), and its threads. */
  browserStep: { ms: number; threads: number; batch: number };
}

/** First visits whose imports are timed: one alone swung by ±30 % between runs. */
const VISITS = 5;

/** `batch`: the browser step's (the bench's --batch). */
export async function editorFigures(batch = 256): Promise<EditorFigures> {
  const studio = await openBuiltStudio();
  try {
    const { page, outDir } = studio;
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    // What index.html loads: the entry script, its modulepreloads and the CSS.
    const firstLoadFiles = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    const gz = (file: string) => gzipSync(readFileSync(join(outDir, file))).length / 1024;
    const firstLoadGzipKiB = firstLoadFiles.reduce((s, f) => s + gz(f), 0);
    const lazyGzipKiB = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js') && !firstLoadFiles.includes(`assets/${f}`)).reduce((s, f) => s + gz(`assets/${f}`), 0);

    const big = replicate(template('byol'), 28);
    const file = join(outDir, 'big.json');
    writeFileSync(file, serializeGraph(big));
    const importRenderRuns = [await timeImport(page, file, big.nodes.length)];
    while (importRenderRuns.length < VISITS) {
      const visit = await openPage(studio.url);
      try { importRenderRuns.push(await timeImport(visit.page, file, big.nodes.length)); } finally { await visit.close(); }
    }
    const importRenderMs = median(importRenderRuns);
    const visit = await openPage(studio.url);
    let browserStep: EditorFigures['browserStep'];
    try { browserStep = await timeBrowserStep(visit.page, batch); } finally { await visit.close(); }
    return { firstLoadGzipKiB, firstLoadFiles, lazyGzipKiB, importRenderMs, importRenderRuns, nodes: big.nodes.length, browserStep };
  } finally {
    await studio.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The reference step as a person runs it: SimSiam (the page's first graph) trained from the Train strip on wasm. */
async function timeBrowserStep(page: Page, batch: number): Promise<EditorFigures['browserStep']> {
  await page.waitForSelector('[data-testid=canvas][data-ready=true]');
  await page.getByTestId('train-steps').fill('6');
  await page.getByTestId('train-eval-every').fill('0');
  await page.getByTestId('train-batch').fill(String(batch));
  await page.getByTestId('train-backend-choice').selectOption('wasm');
  await page.getByTestId('train-start').click();
  // Each step's images/s (batch ÷ that step's time), as the strip shows it when the step lands.
  const perStep = new Map<number, number>();
  while (perStep.size < 5) {
    const { step, status, speed } = await page.evaluate(() => ({
      step: Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')),
      status: document.querySelector('[data-testid=train-status]')?.getAttribute('data-status'),
      speed: [...document.querySelectorAll('[data-testid=train-status] .metric')].map((e) => e.textContent ?? '').find((t) => t.endsWith('img/s')),
    }));
    if (status === 'failed') throw new Error(`the browser's training run failed: ${await page.getByTestId('train-message').textContent()}`);
    if (step >= 2 && speed && !perStep.has(step)) perStep.set(step, Number.parseFloat(speed));
    if (status === 'done' && perStep.size < 5) throw new Error(`the browser's run ended with ${perStep.size} steps timed`);
    await page.waitForTimeout(20);
  }
  const threads = Number(await page.getByTestId('train-backend').getAttribute('data-threads'));
  return { ms: median([...perStep.values()].map((ips) => (1000 * batch) / ips)), threads, batch };
}

/** From choosing the file to its nodes and wires on screen, once the page has started as when a person picks a file. */
async function timeImport(page: Page, file: string, nodes: number): Promise<number> {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.waitForSelector('[data-testid=canvas][data-ready=true]');
  // Started, as when a person picks a file: the first template drawn, the lazy chunks it needs loaded, the fresh
  // browser's own start over (importing 10 ms after the canvas was ready timed the page's start as well).
  await page.waitForTimeout(1000);
  await page.evaluate(() => new Promise((resolve) => requestIdleCallback(resolve, { timeout: 5000 })));
  const t0 = performance.now();
  await page.getByTestId('import-json').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=node]').length === n && document.querySelectorAll('[data-testid=connection] path[d^="M"]').length > 0, nodes, { timeout: 120_000 });
  return performance.now() - t0;
}
