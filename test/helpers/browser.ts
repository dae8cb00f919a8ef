/**
 * Real-browser tests: Debian's Chromium driven by playwright-core, the page
 * served by Vite's dev server from this checkout (DESIGN.md "Testing").
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Studio {
  page: Page;
  url: string;
  close(): Promise<void>;
}

export async function openStudio(extraArgs: string[] = []): Promise<Studio> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (npm test does this when run as root)`);
  const root = new URL('../..', import.meta.url).pathname;
  const server: ViteDevServer = await createServer({ root, configFile: join(root, 'vite.config.ts'), server: { port: 0, strictPort: false }, logLevel: 'error' });
  await server.listen();
  const address = server.httpServer!.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  const profile = mkdtempSync(join(tmpdir(), 'siamese-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs] });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return {
      page,
      url,
      async close() {
        await context?.close();
        await server.close();
        rmSync(profile, { recursive: true, force: true });
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      },
    };
  } catch (e) {
    await context?.close();
    await server.close();
    throw e;
  }
}
