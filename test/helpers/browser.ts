/**
 * Real-browser tests: Debian's Chromium driven by playwright-core, the page
 * served by Vite's dev server from this checkout (the README's test set-up).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, createServer, preview, type ViteDevServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const root = new URL('../..', import.meta.url).pathname;

export interface Studio {
  page: Page;
  url: string;
  close(): Promise<void>;
}

/** Opens `url` in a fresh Chromium profile; close() throws if the page raised errors. */
export async function openPage(url: string, extraArgs: string[] = [], onClose: () => Promise<void> = async () => undefined): Promise<Studio> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (npm test does this when run as root)`);
  const profile = mkdtempSync(join(tmpdir(), 'siamese-chromium-'));
  let context: BrowserContext | undefined;
  const cleanup = async () => {
    await context?.close();
    await onClose();
    rmSync(profile, { recursive: true, force: true });
  };
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
        await cleanup();
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export const serverUrl = (server: { httpServer: unknown }) => {
  const address = (server.httpServer as { address(): unknown }).address() as { port: number } | null;
  return `http://127.0.0.1:${address?.port ?? 0}/`;
};

/** Vite's dev server for this checkout, on a free port (several profiles can open it: openPage(serverUrl(server))). */
export async function devServer(): Promise<ViteDevServer> {
  const server = await createServer({ root, configFile: join(root, 'vite.config.ts'), server: { port: 0, strictPort: false }, logLevel: 'error' });
  await server.listen();
  return server;
}

/** The app from Vite's dev server on a free port, in Chromium. */
export async function openStudio(extraArgs: string[] = []): Promise<Studio> {
  const server = await devServer();
  return openPage(serverUrl(server), extraArgs, () => server.close());
}

/** A production build of the app (`vite build` into a fresh temporary folder), served by `vite preview`, in Chromium. */
export async function openBuiltStudio(extraArgs: string[] = []): Promise<Studio & { outDir: string }> {
  const outDir = mkdtempSync(join(tmpdir(), 'siamese-build-'));
  const configFile = join(root, 'vite.config.ts');
  await build({ root, configFile, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  const server = await preview({ root, configFile, logLevel: 'error', build: { outDir }, preview: { port: 0, strictPort: false } });
  const closeServer = () => new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  return { ...(await openPage(serverUrl(server), extraArgs, closeServer)), outDir };
}
