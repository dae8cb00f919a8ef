/**
 * `siamese-studio link GRAPH.json [--base URL]` prints the editor's link to a
 * document, and `validate URL` reads the one a link holds: the real binary,
 * exit codes and exact lines, damaged links refused as a bad file is.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph } from '../../src/graph';
import { base64url, MAX_LINK_CHARS, readLink } from '../../src/graph/link';
import { main } from '../../src/cli/main';
import { cli } from '../helpers/cli';
import { template, templatePath, templateText } from '../helpers/docs';

const dir = mkdtempSync(join(tmpdir(), 'siamese-link-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
/** The CLI in this process, for arguments longer than an exec argument may be (128 KiB on Linux). */
async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('siamese-studio link', () => {
  it('prints one link to the default base whose fragment holds the canonical document', async () => {
    const r = await cli('link', templatePath('byol'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2); // the link and the final line feed
    expect(lines[0]).toMatch(/^http:\/\/localhost:5173\/#doc=1\.[A-Za-z0-9_-]+$/);
    const back = await readLink(lines[0]);
    expect(back.ok && serializeGraph(back.doc)).toBe(serializeGraph(template('byol')));
  });

  it('--base names where the editor is served; a base that is no address, or has a fragment, is refused', async () => {
    const r = await cli('link', templatePath('simsiam'), '--base', 'https://studio.example/app/?x=1');
    expect(r.stdout.startsWith('https://studio.example/app/?x=1#doc=1.')).toBe(true);
    for (const base of ['studio.example', 'http://a/#here']) {
      const bad = await cli('link', templatePath('simsiam'), '--base', base);
      expect([bad.code, bad.stdout, bad.stderr]).toEqual([2, '', `siamese-studio: link: --base must be an address like http://localhost:5173/ without a #fragment, got ${JSON.stringify(base)}\n`]);
    }
  });

  it('refuses what is not a graph document as export-pytorch does (exit 2), and prints nothing', async () => {
    const r = await cli('link', file('nope.json', '{"format": "other"}'));
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(`siamese-studio: ${join(dir, 'nope.json')}: format: not a Siamese Studio graph: "format" is "other", expected "siamese-studio.graph"\n`);
    expect((await cli('link')).code).toBe(2);
  });

  it('refuses a document whose link would be over the cap', async () => {
    // 2.4 MB of labels no compression shortens: a document under the parser's limit, a link over MAX_LINK_CHARS.
    const doc = template('simsiam');
    let seed = 1;
    const noise = () => Array.from({ length: 190 }, () => String.fromCharCode(0x4e00 + ((seed = (seed * 48271) % 2147483647) % 20000))).join('');
    const nodes = Array.from({ length: 5000 }, (_, i) => ({ ...doc.nodes[0], id: `n${i}`, label: noise() }));
    const p = file('huge.json', serializeGraph({ ...doc, nodes, edges: [] }));
    expect(parseGraph(serializeGraph({ ...doc, nodes, edges: [] })).ok).toBe(true);
    const r = await inProcess('link', p);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(new RegExp(`^siamese-studio: ${p}: its link's fragment would be \\d+ characters; a link holds at most ${MAX_LINK_CHARS}$`));
    expect(r.out).toEqual([]);
  }, 30_000);
});

describe('siamese-studio validate URL', () => {
  it('validates the document a link holds, as it validates the file', async () => {
    const link = (await cli('link', templatePath('simsiam'))).stdout.trim();
    const r = await cli('validate', link);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'link: valid (7 nodes, 7 edges)\n', '']);
    const json = JSON.parse((await cli('validate', link, '--json')).stdout);
    expect(json).toMatchObject({ file: link, readable: true, valid: true, errors: [] });
    // A linked document with errors is invalid (1), like the same file.
    const broken = { ...template('simsiam'), edges: template('simsiam').edges.slice(1) };
    const brokenFile = await cli('validate', file('broken.json', serializeGraph(broken)));
    const brokenLink = await cli('validate', (await cli('link', join(dir, 'broken.json'))).stdout.trim());
    expect(brokenLink.code).toBe(1);
    expect(brokenLink.stdout).toBe(brokenFile.stdout.replace(join(dir, 'broken.json'), 'link'));
  });

  it('refuses a damaged link with exit 2 and one line, as a bad file', async () => {
    const link = (await cli('link', templatePath('byol'))).stdout.trim();
    const at = link.indexOf('#') + 1;
    const cut = link.slice(0, at + Math.floor((link.length - at) / 8) * 4);
    const cutJson = parseGraph(templateText('byol').slice(0, 300));
    if (cutJson.ok) throw new Error('a cut document parsed');
    const cases: [string, string][] = [
      [cut, 'the link is damaged: it was cut short or altered (its document does not inflate)'],
      [`${link.slice(0, at + 10)}*${link.slice(at + 11)}`, 'the link is damaged: character 11 of its fragment is "*", which base64url does not use'],
      ['http://localhost:5173/', 'holds no document: a link to a graph ends in #doc=1.…'],
      [`http://localhost:5173/#doc=1.${base64url(deflateRawSync(Buffer.alloc(6e6, 32)))}`, "the link's document inflates to over 5000000 bytes; a graph document is at most 5000000"],
      [`http://localhost:5173/#doc=1.${base64url(deflateRawSync(templateText('byol').slice(0, 300)))}`, cutJson.errors[0].message],
    ];
    for (const [url, message] of cases) {
      const r = await cli('validate', url);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `siamese-studio: link: ${message}\n`]);
    }
    for (const [url, message] of cases.slice(0, 2)) {
      const json = JSON.parse((await cli('validate', url, '--json')).stdout);
      expect([json.readable, json.valid, json.errors.map((e: { message: string; code: string }) => [e.message, e.code])]).toEqual([false, false, [[message, 'bad-link']]]);
    }
  }, 60_000);

  it('refuses a huge link from its length', async () => {
    const r = await inProcess('validate', `http://localhost:5173/#doc=1.${'A'.repeat(MAX_LINK_CHARS)}`);
    expect([r.code, r.out, r.err]).toEqual([2, [], [`siamese-studio: link: the link's fragment is ${MAX_LINK_CHARS + 6} characters; a link holds at most ${MAX_LINK_CHARS}`]]);
  });
});
