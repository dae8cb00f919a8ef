/**
 * A part of the app that does not load is said on the page, never a blank
 * page or a button that does nothing: the entry's modules before the app
 * mounts (the boot message in index.html), a lazy chunk after (a toast).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { openStudio } from '../helpers/browser';
import { canvasReady } from '../helpers/editor';

describe('when code fails to load', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openStudio(); });
  afterAll(async () => {
    // the aborted loads are page errors on purpose: close reports them
    await expect(studio?.close()).rejects.toThrow(/page errors: .*(dynamically imported module|ShortcutsOverlay)/);
  });

  it('a module of the entry that does not load: the page says the app could not start, and what to do', async () => {
    const { page } = studio;
    await page.route('**/src/editor/App.vue*', (route) => route.abort());
    await page.reload();
    const boot = page.getByTestId('boot');
    await expect.poll(() => boot.getAttribute('data-failed'), { timeout: 30_000 }).toBe('true');
    expect(await boot.textContent()).toBe('Siamese Studio could not start: its code (/src/editor/main.ts or a module it imports) did not load. Reload the page; if this goes on, stop npm start and run it again.');
    expect(await boot.isVisible()).toBe(true);
  });

  it('a lazy part that does not load (the shortcut overlay): an error toast says so, the graph stays', async () => {
    const { page } = studio;
    await page.unrouteAll();
    await page.reload();
    await canvasReady(page);
    expect(await page.getByTestId('boot').count()).toBe(0);
    const nodes = await page.getByTestId('node').count();
    await page.route('**/ShortcutsOverlay.vue*', (route) => route.abort());
    await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const toast = page.getByTestId('toast').filter({ hasText: 'could not be loaded' });
    await expect.poll(() => toast.count(), { timeout: 30_000 }).toBe(1);
    expect(await toast.textContent()).toMatch(/A part of the app could not be loaded \(.*ShortcutsOverlay\.vue.*\)\. Reload the page: your graph is autosaved\./);
    expect(await page.getByTestId('node').count()).toBe(nodes);
  });
});
