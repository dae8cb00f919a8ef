/**
 * A graph document in a link: `BASE#doc=1.PAYLOAD`, where PAYLOAD is the
 * canonical serialization (serializeGraph), UTF-8, deflated (raw deflate,
 * RFC 1951: the web's `CompressionStream('deflate-raw')`, which Node 20 has
 * too) and base64url without padding. The `1` names this encoding, so that a
 * later one (another compression, another text) can be told apart and an
 * older Siamese Studio refuses it by name. The same code runs in the browser
 * and the CLI, so a link gives the same document, or the same refusal, in both.
 *
 * A link can hand us anything: it is refused, never thrown on, when its
 * fragment is over MAX_LINK_CHARS, not base64url, not deflate-raw (cut short,
 * altered, trailing bytes), inflates past the file import's limit (a zip
 * bomb is stopped while it inflates), is not UTF-8, or fails parseGraph.
 */
import { MAX_DOCUMENT_CHARS, parseGraph, type ParseResult } from './parse';
import type { Problem, ProblemCode } from './problems';
import type { GraphDoc } from './schema';
import { serializeGraph } from './serialize';
import { LINK_KEY, linkFragment } from './link-fragment';

export { LINK_KEY, linkFragment } from './link-fragment';

export const LINK_ENCODING = 1;
/** Chromium's limit on a URL is 2 MiB: a longer link could not be opened anyway. */
export const MAX_LINK_CHARS = 2_000_000;
/** Inflated bytes: the file import's limit (a UTF-8 file over the parser's character limit cannot be a document). */
export const MAX_LINK_INFLATED_BYTES = MAX_DOCUMENT_CHARS;
/** Where the CLI's links point unless told (`npm start` serves the editor there). */
export const DEFAULT_LINK_BASE = 'http://localhost:5173/';

export interface EncodedLink {
  url: string;
  /** The document's canonical text, in UTF-8 bytes, and its deflated bytes. */
  documentBytes: number;
  compressedBytes: number;
}

/** The link to `doc` from `base` (any fragment of `base` is replaced). */
export async function encodeLink(doc: GraphDoc, base: string): Promise<EncodedLink> {
  const text = new TextEncoder().encode(serializeGraph(doc));
  const deflated = await collect(new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw')), Infinity);
  const hash = base.indexOf('#');
  const url = `${hash < 0 ? base : base.slice(0, hash)}#${LINK_KEY}${LINK_ENCODING}.${base64url(deflated!)}`;
  return { url, documentBytes: text.length, compressedBytes: deflated!.length };
}

export type LinkText = { ok: true; text: string } | { ok: false; errors: Problem[] };

const refuse = (code: ProblemCode, message: string): LinkText => ({ ok: false, errors: [{ severity: 'error', code, path: '', message }] });

/** The document a link holds, through parseGraph, or the reasons it holds none. Never throws. */
export async function readLink(url: string): Promise<ParseResult> {
  const r = await readLinkText(url);
  return r.ok ? parseGraph(r.text) : r;
}

/** The text of the document a link holds (not yet parsed), or the reasons it holds none. Never throws. */
export async function readLinkText(url: string): Promise<LinkText> {
  const fragment = linkFragment(url);
  if (fragment === undefined) return refuse('bad-link', `holds no document: a link to a graph ends in #${LINK_KEY}${LINK_ENCODING}.…`);
  if (fragment.length > MAX_LINK_CHARS) {
    return refuse('too-large', `the link's fragment is ${fragment.length} characters; a link holds at most ${MAX_LINK_CHARS}`);
  }
  const dot = fragment.indexOf('.');
  const encoding = dot < 0 ? '' : fragment.slice(LINK_KEY.length, dot);
  if (encoding !== String(LINK_ENCODING)) {
    return /^[1-9]\d{0,8}$/.test(encoding) && Number(encoding) > LINK_ENCODING
      ? refuse('newer-version', `the link is encoding ${encoding}, newer than this Siamese Studio understands (${LINK_ENCODING}); update Siamese Studio to open it`)
      : refuse('bad-link', `the link is damaged: #${LINK_KEY} must be followed by the encoding ${LINK_ENCODING} and a dot`);
  }
  const payload = fragment.slice(dot + 1);
  const stray = /[^A-Za-z0-9_-]/.exec(payload);
  if (stray) {
    return refuse('bad-link', `the link is damaged: character ${dot + 1 + stray.index + 1} of its fragment is ${JSON.stringify(stray[0])}, which base64url does not use`);
  }
  const cutShort = refuse('bad-link', 'the link is damaged: it was cut short or altered (its document does not inflate)');
  const bytes = fromBase64url(payload);
  if (!bytes) return cutShort;
  let inflated: Uint8Array | undefined;
  try {
    inflated = await inflate(bytes);
  } catch {
    return cutShort;
  }
  if (!inflated) {
    return refuse('too-large', `the link's document inflates to over ${MAX_LINK_INFLATED_BYTES} bytes; a graph document is at most ${MAX_LINK_INFLATED_BYTES}`);
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(inflated) };
  } catch {
    return refuse('bad-link', 'the link is damaged: its document is not UTF-8 text');
  }
}

/**
 * Raw deflate's output, or undefined past the cap. Inflaters differ on bytes
 * after the end of the stream (Chromium refuses them, Node ignores them), so
 * they are refused here for both: the stream without its last byte must not
 * inflate (that byte holds the end of the last block).
 */
async function inflate(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  if (bytes.length === 0) throw new Error('no deflate stream');
  const whole = await inflateCapped(bytes);
  if (!whole) return undefined;
  const shorter = await inflateCapped(bytes.subarray(0, bytes.length - 1)).then(() => true, () => false);
  if (shorter) throw new Error('bytes after the end of the deflate stream');
  return whole;
}

const inflateCapped = (bytes: Uint8Array) => collect(chunked(bytes).pipeThrough(new DecompressionStream('deflate-raw')), MAX_LINK_INFLATED_BYTES);

/** The input in 4 KiB pieces, pulled: at most ~4 MiB (deflate's 1032:1) is inflated past what was read. */
function chunked(bytes: Uint8Array): ReadableStream<BufferSource> {
  let at = 0;
  return new ReadableStream<BufferSource>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 4096));
      at += 4096;
    },
  }, { highWaterMark: 0 });
}

/** All of a byte stream, or undefined (the stream cancelled) once it passes `cap` bytes. */
async function collect(stream: ReadableStream<Uint8Array>, cap: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

/** The bytes of canonical unpadded base64url; undefined for anything else (another character, a length no bytes have, stray low bits). */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const c of text) {
    const v = VALUE.get(c);
    if (v === undefined) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 255;
    }
  }
  // The last character's unused bits are zero in the one canonical spelling.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
