/**
 * A document in a link (src/graph/link.ts): every template round-trips
 * byte-identical (canonical text), the payload is what zlib's raw deflate reads and writes,
 * and whatever else a fragment holds is refused with one message, never
 * thrown on: another character, a cut, trailing bytes, a zip bomb, a huge
 * fragment, text that is not UTF-8, JSON that parseGraph refuses.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph } from '../../src/graph';
import {
  base64url, DEFAULT_LINK_BASE, encodeLink, fromBase64url, linkFragment, MAX_LINK_CHARS, MAX_LINK_INFLATED_BYTES, readLink,
} from '../../src/graph/link';
import { template, templateText } from '../helpers/docs';

const TEMPLATES = ['simsiam', 'byol', 'collapse-no-stop-gradient', 'collapse-no-predictor', 'collapse-no-final-bn'];
const linkOf = (bytes: Uint8Array) => `${DEFAULT_LINK_BASE}#doc=1.${base64url(bytes)}`;
/** The one message readLink refuses `url` with. */
async function refusal(url: string): Promise<string> {
  const r = await readLink(url);
  if (r.ok) throw new Error('the link was read');
  expect(r.errors).toHaveLength(1);
  return `${r.errors[0].message} [${r.errors[0].code}]`;
}
const CUT = 'the link is damaged: it was cut short or altered (its document does not inflate) [bad-link]';

describe('a document in a link', () => {
  it('round-trips every template byte-identical (its canonical text), and the payload is raw deflate of the canonical text', async () => {
    for (const key of TEMPLATES) {
      const canonical = serializeGraph(template(key));
      const link = await encodeLink(template(key), DEFAULT_LINK_BASE);
      expect(link.url.startsWith('http://localhost:5173/#doc=1.')).toBe(true);
      const back = await readLink(link.url);
      expect(back.ok && serializeGraph(back.doc)).toBe(canonical);
      // Node's zlib reads what CompressionStream wrote, and the sizes are what the toast reports.
      const payload = Buffer.from(link.url.split('#doc=1.')[1], 'base64url');
      expect(inflateRawSync(payload).toString('utf8')).toBe(canonical);
      expect([link.documentBytes, link.compressedBytes]).toEqual([Buffer.byteLength(canonical), payload.length]);
    }
  });

  it('reads what zlib deflates, at any compression level, and replaces the base\'s own fragment', async () => {
    for (const level of [0, 1, 9]) {
      const r = await readLink(linkOf(deflateRawSync(templateText('byol'), { level })));
      expect(r.ok && serializeGraph(r.doc)).toBe(serializeGraph(template('byol')));
    }
    expect((await encodeLink(template('simsiam'), 'https://x.example/app/?a=1#old')).url.startsWith('https://x.example/app/?a=1#doc=1.')).toBe(true);
  });

  it('base64url: unpadded, as Node writes it, and only its canonical spelling is read', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 255);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64url(base64url(bytes))).toEqual(bytes);
    }
    expect([fromBase64url('AAAAA'), fromBase64url('AB'), fromBase64url('AAB'), fromBase64url('A+'), fromBase64url('AA==')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(fromBase64url('AA')).toEqual(Uint8Array.of(0));
  });

  it('only a fragment starting doc= is a link\'s document', () => {
    expect([linkFragment('http://a/#doc=1.x'), linkFragment('http://a/#other'), linkFragment('http://a/'), linkFragment('#doc=1.y')]).toEqual(['doc=1.x', undefined, undefined, 'doc=1.y']);
  });

  it('refuses a damaged fragment with one message naming what is wrong', async () => {
    const good = (await encodeLink(template('byol'), DEFAULT_LINK_BASE)).url;
    const at = good.indexOf('#') + 1;
    const half = at + Math.floor((good.length - at) / 8) * 4; // half of it, on a base64 boundary: valid base64, a cut deflate stream
    expect(await refusal(good.slice(0, half))).toBe(CUT);
    expect(await refusal(good.slice(0, half + 1))).toBe(CUT); // a length no bytes have
    expect(await refusal(`${good.slice(0, at + 10)}!${good.slice(at + 11)}`)).toBe('the link is damaged: character 11 of its fragment is "!", which base64url does not use [bad-link]');
    expect(await refusal(`${good.slice(0, at + 10)}%20${good.slice(at + 10)}`)).toBe('the link is damaged: character 11 of its fragment is "%", which base64url does not use [bad-link]');
    // Bytes after the end of the deflate stream: Chromium refuses them, Node would not; both do here.
    expect(await refusal(linkOf(Buffer.concat([deflateRawSync(templateText('byol')), Buffer.from('junk')])))).toBe(CUT);
    expect(await refusal(linkOf(Buffer.from('not deflate at all')))).toBe(CUT);
    expect(await refusal('http://a/#doc=1.')).toBe(CUT);
    expect(await refusal(linkOf(deflateRawSync(Buffer.from([0xff, 0xfe]))))).toBe('the link is damaged: its document is not UTF-8 text [bad-link]');
    expect(await refusal('http://a/#doc=2.AAAA')).toBe('the link is encoding 2, newer than this Siamese Studio understands (1); update Siamese Studio to open it [newer-version]');
    expect(await refusal('http://a/#doc=x.AAAA')).toBe('the link is damaged: #doc= must be followed by the encoding 1 and a dot [bad-link]');
    expect(await refusal('http://a/#doc=AAAA')).toBe('the link is damaged: #doc= must be followed by the encoding 1 and a dot [bad-link]');
    expect(await refusal('http://a/#other')).toBe('holds no document: a link to a graph ends in #doc=1.… [bad-link]');
  });

  it('hands the inflated text to parseGraph: its refusals are the file import\'s', async () => {
    for (const text of ['{"format": "other"}', templateText('byol').slice(0, 500), '{"format": "siamese-studio.graph", "version": 99}']) {
      const parsed = parseGraph(text);
      expect(parsed.ok).toBe(false);
      const r = await readLink(linkOf(deflateRawSync(text)));
      expect(r).toEqual(parsed);
    }
  });

  it('caps the inflated size at the file import\'s limit, stopping a zip bomb while it inflates', async () => {
    const over = `the link's document inflates to over ${MAX_LINK_INFLATED_BYTES} bytes; a graph document is at most ${MAX_LINK_INFLATED_BYTES} [too-large]`;
    expect(MAX_LINK_INFLATED_BYTES).toBe(5_000_000);
    // At the limit it inflates (and parseGraph says what the text is); one byte more is refused.
    const exactly = await readLink(linkOf(deflateRawSync(Buffer.alloc(MAX_LINK_INFLATED_BYTES, 32))));
    expect(!exactly.ok && exactly.errors[0].code).toBe('not-json');
    expect(await refusal(linkOf(deflateRawSync(Buffer.alloc(MAX_LINK_INFLATED_BYTES + 1, 32))))).toBe(over);
    // 200 MB of spaces deflate to 200 kB: refused after inflating little of it.
    const bomb = linkOf(deflateRawSync(Buffer.alloc(200e6, 32)));
    expect(bomb.length).toBeLessThan(MAX_LINK_CHARS);
    const t0 = performance.now();
    expect(await refusal(bomb)).toBe(over);
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 60_000);

  it('refuses a huge fragment from its length, before decoding it', async () => {
    const huge = `http://a/#doc=1.${'A'.repeat(MAX_LINK_CHARS - 6 + 1)}`;
    expect(await refusal(huge)).toBe(`the link's fragment is ${MAX_LINK_CHARS + 1} characters; a link holds at most ${MAX_LINK_CHARS} [too-large]`);
    // At the cap the fragment is decoded (to zeros: not deflate).
    expect(await refusal(huge.slice(0, -1))).toBe(CUT);
  });
});
