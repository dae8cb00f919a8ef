/**
 * Share by link in Chromium: Copy link (button and `L`) puts the graph in the
 * address bar's fragment and on the clipboard; the link opens the same graph
 * in a fresh profile, and the CLI's `link` / `validate URL` read and write the
 * same links. A damaged or hostile fragment is refused as a bad file is, with
 * the CLI's message, and the graph on screen is kept.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { formatProblem, parseGraph, serializeGraph } from '../../src/graph';
import { base64url, MAX_LINK_CHARS, readLink } from '../../src/graph/link';
import { main } from '../../src/cli/main';
import { devServer, openPage, serverUrl, type Studio } from '../helpers/browser';
import { canvasReady, clickNode, exportDocument, loadTemplate, setParam } from '../helpers/editor';
import { template, templatePath, templateText } from '../helpers/docs';

/** The CLI in this process (a link may be longer than an exec argument). */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

let server: ViteDevServer;
let base: string;
const opened: Studio[] = [];
/** A fresh Chromium profile on the editor, at `url`. */
async function profile(url = base): Promise<Page> {
  const studio = await openPage(url);
  opened.push(studio);
  await studio.page.setViewportSize({ width: 1600, height: 1000 });
  await studio.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await canvasReady(studio.page);
  return studio.page;
}
const docName = (page: Page) => page.getByTestId('doc-name').textContent();
const fragment = (page: Page) => page.evaluate(() => location.hash);
const lastToast = async (page: Page) => (await page.getByTestId('toast').last().textContent())?.replace(/✕$/, '');
/** Opens `url` in the page as a person pasting it into the address bar would (same page: only the fragment changes). */
const openLink = (page: Page, url: string) => page.evaluate((u) => { location.href = u; }, url);

describe('share by link in Chromium', () => {
  beforeAll(async () => {
    server = await devServer();
    base = serverUrl(server);
  }, 60_000);
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server?.close();
  });

  let copied = '';
  let exported = '';
  it('Copy link puts the graph in the fragment and on the clipboard, says its size; a fresh profile opens the same graph', async () => {
    const page = await profile();
    await loadTemplate(page, 'byol');
    await clickNode(page, 'pred');
    await setParam(page, 'hiddenDim', '96');
    exported = (await exportDocument(page)).text;
    expect(exported).toContain('"hiddenDim": 96');

    await page.getByTestId('copy-link').click();
    await expect.poll(() => fragment(page)).toMatch(/^#doc=1\.[A-Za-z0-9_-]+$/);
    copied = page.url();
    expect(copied.startsWith(`${base}#doc=1.`)).toBe(true);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(copied);
    const deflated = Buffer.from(copied.split('#doc=1.')[1], 'base64url').length;
    const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
    expect(await lastToast(page)).toBe(`Copied a link to "BYOL" (${copied.length.toLocaleString('en')} characters: the ${kB(Buffer.byteLength(exported))} document deflated to ${kB(deflated)}).`);

    // The fragment holds the exported bytes, as Node reads them.
    const inNode = await readLink(copied);
    expect(inNode.ok && serializeGraph(inNode.doc)).toBe(exported);

    const fresh = await profile(copied);
    await expect.poll(() => docName(fresh)).toBe('BYOL');
    await expect.poll(() => lastToast(fresh)).toBe(`Imported "BYOL" (${template('byol').nodes.length} nodes).`);
    expect((await exportDocument(fresh)).text).toBe(exported);
    expect(await fragment(fresh)).toBe(''); // read once: a reload does not import it again over later edits
  }, 120_000);

  it('an edit after Copy link drops the link from the address bar; `L` copies the new one', async () => {
    const page = await profile();
    await page.keyboard.press('l');
    await expect.poll(() => fragment(page)).toMatch(/^#doc=1\./);
    const first = page.url();
    await clickNode(page, 'pred');
    await setParam(page, 'hiddenDim', '48');
    await expect.poll(() => fragment(page)).toBe('');
    await page.keyboard.press('l');
    await expect.poll(() => fragment(page)).toMatch(/^#doc=1\./);
    expect(page.url()).not.toBe(first);
    const r = await readLink(page.url());
    expect(r.ok && r.doc.nodes.find((n) => n.id === 'pred')?.params.hiddenDim).toBe(48);
    // A reload with the link of the graph on screen changes nothing and drops the link.
    await page.waitForTimeout(500);
    await expect.poll(() => page.getByTestId('autosave-status').getAttribute('data-state')).toBe('saved');
    await page.reload();
    await canvasReady(page);
    expect(await fragment(page)).toBe('');
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    const after = await exportDocument(page);
    expect(r.ok && after.text).toBe(r.ok && serializeGraph(r.doc));
  }, 120_000);

  it('the CLI\'s link opens in the browser, and the browser\'s link validates in the CLI, the same bytes', async () => {
    const printed = await cli('link', templatePath('collapse-no-predictor'), '--base', base);
    expect(printed.code).toBe(0);
    const page = await profile();
    await openLink(page, printed.out[0]);
    await expect.poll(() => docName(page)).toBe(template('collapse-no-predictor').name);
    expect((await exportDocument(page)).text).toBe(serializeGraph(template('collapse-no-predictor')));
    expect(await fragment(page)).toBe('');

    // The browser's link, validated by the CLI, is the exported file validated by the CLI.
    const dir = mkdtempSync(join(tmpdir(), 'siamese-share-'));
    writeFileSync(join(dir, 'byol.json'), exported);
    const asFile = await cli('validate', join(dir, 'byol.json'));
    const asLink = await cli('validate', copied);
    expect(asLink.code).toBe(0);
    expect(asLink.out).toEqual(asFile.out.map((l) => l.replace(join(dir, 'byol.json'), 'link')));
    expect(asLink.out[0]).toMatch(/^link: valid/);
  }, 120_000);

  it('asks before a link replaces unsaved work: Cancel keeps it, Replace opens the link', async () => {
    const page = await profile();
    await clickNode(page, 'pred');
    await setParam(page, 'hiddenDim', '32');
    const before = (await exportDocument(page)).text; // exported: not unsaved any more
    await setParam(page, 'hiddenDim', '40');
    await openLink(page, copied);
    await expect.poll(() => page.getByTestId('confirm-dialog').locator('p').textContent()).toBe('Replace the current graph "SimSiam" with "BYOL"? Its unsaved changes can be brought back with Undo.');
    await page.getByTestId('confirm-cancel').click();
    expect(await docName(page)).toBe('SimSiam');
    expect((await exportDocument(page)).text).toBe(before.replace('"hiddenDim": 32', '"hiddenDim": 40'));
    expect(await fragment(page)).toBe('');

    await setParam(page, 'hiddenDim', '24');
    await openLink(page, copied);
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => docName(page)).toBe('BYOL');
    expect((await exportDocument(page)).text).toBe(exported);
    await page.getByTestId('undo').click();
    await expect.poll(() => docName(page)).toBe('SimSiam');
  }, 120_000);

  it('refuses a damaged or hostile fragment as a bad file, with the CLI\'s message, and keeps the graph on screen', async () => {
    const page = await profile();
    await loadTemplate(page, 'simsiam');
    const before = (await exportDocument(page)).text;
    const at = copied.indexOf('#') + 1;
    const cutJson = templateText('byol').slice(0, 400);
    const parsedCut = parseGraph(cutJson);
    if (parsedCut.ok) throw new Error('a cut document parsed');
    const cases: [string, string, string][] = [
      ['cut in half', copied.slice(0, at + Math.floor((copied.length - at) / 8) * 4), 'the link is damaged: it was cut short or altered (its document does not inflate) [bad-link]'],
      ['a character base64url does not use', `${copied.slice(0, at + 10)}~${copied.slice(at + 11)}`, 'the link is damaged: character 11 of its fragment is "~", which base64url does not use [bad-link]'],
      ['bytes after the deflate stream', `${base}#doc=1.${base64url(Buffer.concat([deflateRawSync(exported), Buffer.from('junk')]))}`, 'the link is damaged: it was cut short or altered (its document does not inflate) [bad-link]'],
      ['a zip bomb', `${base}#doc=1.${base64url(deflateRawSync(Buffer.alloc(100e6, 32)))}`, "the link's document inflates to over 5000000 bytes; a graph document is at most 5000000 [too-large]"],
      ['JSON that fails parseGraph', `${base}#doc=1.${base64url(deflateRawSync(cutJson))}`, `${parsedCut.errors[0].message} [not-json]`],
      ['a huge fragment', `${base}#doc=1.${'A'.repeat(MAX_LINK_CHARS)}`, `the link's fragment is ${MAX_LINK_CHARS + 6} characters; a link holds at most ${MAX_LINK_CHARS} [too-large]`],
    ];
    for (const [what, url, message] of cases) {
      await openLink(page, url);
      const errors = page.getByTestId('import-errors');
      await expect.poll(() => errors.locator('li').allTextContents(), { message: what, timeout: 20_000 }).toEqual([`link: ${message}`]);
      expect(await errors.locator('b').textContent()).toBe('Import refused: the current graph is unchanged.');
      expect(await docName(page)).toBe('SimSiam');
      expect((await exportDocument(page)).text).toBe(before);
      // The CLI refuses the same link with the same message.
      const r = await cli('validate', url);
      expect([r.code, r.out, r.err], what).toEqual([2, [], [`siamese-studio: link: ${message.replace(/ \[[a-z-]+\]$/, '')}`]]);
      const p = (await readLink(url)) as { ok: false; errors: Parameters<typeof formatProblem>[0][] };
      expect(`link: ${formatProblem(p.errors[0])}`).toBe(`link: error document: ${message}`);
      await errors.getByRole('button').click();
    }
  }, 240_000);
});
