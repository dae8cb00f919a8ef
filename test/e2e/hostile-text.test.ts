/**
 * Document text with control, bidi and invisible characters, imported into
 * the editor in Chromium: every place that shows it (title bar, node title,
 * toast, note, group title, problems panel, the inspector's name and label
 * fields) shows each such character as a visible \uXXXX escape, never raw
 * (so "\u202egnp.exe" can't read "exe.png" nor reverse the toast around it),
 * inside a bidi isolate; an edit of a field showing escapes keeps the real
 * characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/graph';
import type { Studio } from '../helpers/browser';
import { templateText } from '../helpers/docs';
import { canvasReady, clickNode, exportDocument, nodeLocator, openEditor } from '../helpers/editor';

const HOSTILE = 'ctl\u0000\u0007\r\u001b[31mRED\u001b[0m\u202egnp.exe\u200b';
const SHOWN = 'ctl\\u0000\\u0007\\u000d\\u001b[31mRED\\u001b[0m\\u202egnp.exe\\u200b';
/** How a message quotes the value: JSON's quoting (\r, \u001b), then the page's escapes of what JSON leaves raw (bidi, invisible). */
const QUOTED = 'got "ctl\\u0000\\u0007\\r\\u001b[31mRED\\u001b[0m\\u202egnp.exe\\u200b"';
/** A note legitimately holds line feeds and tabs. */
const NOTE = `first line\n\t${HOSTILE}`;
const NOTE_SHOWN = `first line\n\t${SHOWN}`;
/** Written out here, not imported from src: what must never be on the page raw (C0 but tab/LF, DEL, C1, bidi, invisible format). */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

function hostileDoc(): string {
  const doc = JSON.parse(templateText('simsiam'));
  doc.version = 2;
  doc.name = HOSTILE;
  doc.nodes.find((n: { id: string }) => n.id === 'enc').label = HOSTILE;
  // Not a dataset: an error whose message quotes the value, for the problems panel.
  doc.nodes.find((n: { id: string }) => n.id === 'data').params.source = HOSTILE;
  doc.notes = [{ id: 'n1', text: NOTE, position: { x: 0, y: -200 } }];
  doc.groups = [{ id: 'g1', title: HOSTILE, nodes: ['proj', 'pred'] }];
  return JSON.stringify(doc);
}

describe('document text with control and bidi characters, in Chromium', () => {
  let studio: Studio;
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); });

  it('shows every control/bidi character as a visible escape, isolated, wherever the document is shown', async () => {
    const { page } = studio;
    await canvasReady(page);
    await page.getByTestId('import-json').setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(hostileDoc()) });
    const ok = page.getByTestId('confirm-ok');
    if (await ok.isVisible().catch(() => false)) await ok.click();
    await expect.poll(() => page.getByTestId('toast').first().textContent()).toContain('Imported');

    const toast = (await page.getByTestId('toast').first().locator('.toast-text').textContent())!;
    const shown: Record<string, string> = {
      'title bar': (await page.getByTestId('doc-name').textContent())!,
      'node title': (await nodeLocator(page, 'enc').getByTestId('title').textContent())!,
      toast,
      note: await page.locator('[data-testid=note][data-id=n1] textarea').inputValue(),
      'group title': await page.locator('[data-testid=group-title]').inputValue(),
      'problems panel': (await page.getByTestId('problems').textContent())!,
      'inspector name': await page.getByTestId('doc-name-input').inputValue(),
    };
    await clickNode(page, 'enc');
    shown['inspector label'] = await page.getByTestId('node-label').inputValue();

    for (const [where, text] of Object.entries(shown)) expect(RAW.test(text), `${where}: ${JSON.stringify(text)}`).toBe(false);
    expect(shown['title bar']).toBe(SHOWN);
    expect(shown['node title']).toBe(SHOWN);
    expect(toast).toBe(`Imported "${SHOWN}" (7 nodes).`);
    expect(shown.note).toBe(NOTE_SHOWN);
    expect(shown['group title']).toBe(SHOWN);
    expect(shown['problems panel']).toContain(QUOTED);
    expect(shown['inspector name']).toBe(SHOWN);
    expect(shown['inspector label']).toBe(SHOWN);

    // The escapes are drawn apart (muted) and the document text sits in a bidi isolate, in each place rendered as text.
    for (const sel of ['[data-testid=doc-name]', '[data-testid=node][data-id=enc] [data-testid=title]', '[data-testid=toast] .toast-text', '[data-testid=problems]']) {
      const { isolate, escapes } = await page.locator(sel).first().evaluate((el) => ({
        isolate: getComputedStyle(el.querySelector('bdi')!).unicodeBidi,
        escapes: [...el.querySelectorAll('[data-testid=text-escape]')].map((e) => e.textContent),
      }));
      expect(isolate, sel).toBe('isolate');
      expect(escapes, sel).toContain('\\u202e');
    }
  });

  it('tooltips and accessible names that hold document text show its escapes; the gallery\'s names go through the same encoder', async () => {
    const { page } = studio;
    const attributes = () => page.evaluate(() => [...document.querySelectorAll('[title], [aria-label]')].flatMap((el) => ['title', 'aria-label'].map((a) => el.getAttribute(a) ?? '')));
    expect((await attributes()).filter((t) => RAW.test(t))).toEqual([]);
    expect(await page.getByTestId('doc-name').getAttribute('title')).toBe(SHOWN);
    // The dataset's error quotes the value: on its node's badge, and on the disabled Export → PyTorch
    expect(await nodeLocator(page, 'data').getByTestId('badge-error').getAttribute('title')).toContain(QUOTED);
    expect(await page.getByTestId('export-pytorch').getAttribute('title')).toContain(QUOTED);
    // Train refuses the graph: the strip quotes the error, escaped
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-message').textContent()).toContain(QUOTED);
    expect((await attributes()).filter((t) => RAW.test(t))).toEqual([]);
    // The built-in templates are documents too: their names and descriptions shown through DocText
    for (const sel of ['[data-testid=template-simsiam] strong', '[data-testid=template-simsiam] span', '[data-testid=template-collapse-no-predictor] [data-testid=expected]']) {
      expect(await page.locator(`${sel} bdi.doc-text`).count(), sel).toBe(1);
    }
  });

  it('an edit in a field showing escapes keeps the real characters', async () => {
    const { page } = studio;
    const area = page.locator('[data-testid=note][data-id=n1] textarea');
    await area.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' ok');
    await area.blur();
    await page.getByTestId('node-label').fill(`${SHOWN} 2`);
    await page.getByTestId('node-label').press('Enter');
    await page.getByTestId('node-label').blur();
    await expect.poll(async () => {
      const r = parseGraph((await exportDocument(page)).text);
      if (!r.ok) return r.errors;
      return [r.doc.notes?.[0].text, r.doc.nodes.find((n) => n.id === 'enc')?.label, r.doc.name];
    }).toEqual([`${NOTE} ok`, `${HOSTILE} 2`, HOSTILE]);
    expect(await nodeLocator(page, 'enc').getByTestId('title').textContent()).toBe(`${SHOWN} 2`);
  });
});
