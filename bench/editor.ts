/**
 * The editor's figures: first-load JavaScript (gzip) of a production build,
 * and the time to import and render a 300-node document in Chromium.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serializeGraph } from '../src/graph';
import { replicate, template } from '../test/helpers/docs';
import { openBuiltStudio } from '../test/helpers/browser';

export interface EditorFigures {
  firstLoadGzipKiB: number;
  firstLoadFiles: string[];
  lazyGzipKiB: number;
  importRenderMs: number;
  nodes: number;
}

export async function editorFigures(): Promise<EditorFigures> {
  const studio = await openBuiltStudio();
  try {
    const { page, outDir } = studio;
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    // What index.html loads: the entry script, its modulepreloads and the CSS.
    const firstLoadFiles = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    const gz = (file: string) => gzipSync(readFileSync(join(outDir, file))).length / 1024;
    const firstLoadGzipKiB = firstLoadFiles.reduce((s, f) => s + gz(f), 0);
    const lazyGzipKiB = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js') && !firstLoadFiles.includes(`assets/${f}`)).reduce((s, f) => s + gz(`assets/${f}`), 0);

    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.waitForSelector('[data-testid=canvas][data-ready=true]');
    const big = replicate(template('byol'), 28);
    const file = join(outDir, 'big.json');
    writeFileSync(file, serializeGraph(big));
    const t0 = performance.now();
    await page.getByTestId('import-json').setInputFiles(file);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=node]').length === n && document.querySelectorAll('[data-testid=connection] path[d^="M"]').length > 0, big.nodes.length, { timeout: 120_000 });
    const importRenderMs = performance.now() - t0;
    return { firstLoadGzipKiB, firstLoadFiles, lazyGzipKiB, importRenderMs, nodes: big.nodes.length };
  } finally {
    await studio.close();
  }
}
