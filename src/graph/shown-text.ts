/**
 * The one encoder for document text on its way to a person: a terminal (the
 * CLI's terminalSafe) or the editor's page (DocText.vue, and the escaped
 * value of an editable field). A document's name, labels, titles and notes
 * can hold characters that act instead of showing: ESC and BEL retitle or
 * clear a terminal, CR overwrites a line, C1 codes (U+009B is CSI) act as ESC
 * sequences, bidi overrides and isolates make text read backwards (a name
 * ending "\u202egnp.exe" reads "exe.png"), invisible format characters
 * (zero-width space, word joiner, BOM, soft hyphen, tag characters) hide text
 * or make two different names look alike. Each becomes a visible \uXXXX
 * escape (a character beyond U+FFFF as its two UTF-16 halves), which is also
 * JSON's escape of the same character. ZWNJ and ZWJ (U+200C, U+200D) stay:
 * scripts and emoji need them, and they reorder nothing.
 */

/** Which layout characters the text may legitimately hold: a name none, a terminal line feeds, a note line feeds and tabs. */
export type KeptLayout = 'none' | 'newline' | 'newline-tab';

/** C0 controls but tab and line feed, DEL, C1 controls. */
const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f';
/** Bidi marks, embeddings, overrides, isolates, line/paragraph separators, invisible format characters. */
const FORMAT = '\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb\\u{e0000}-\\u{e007f}';
const LAYOUT: Record<KeptLayout, string> = { none: '\\t\\n', newline: '\\t', 'newline-tab': '' };
const unsafeOf = (keep: KeptLayout) => new RegExp(`[${CONTROLS}${FORMAT}${LAYOUT[keep]}]`, 'gu');
const UNSAFE: Record<KeptLayout, RegExp> = { none: unsafeOf('none'), newline: unsafeOf('newline'), 'newline-tab': unsafeOf('newline-tab') };

/** A run of text as it is shown: ordinary text, or the visible escape of one unsafe character. */
export interface ShownPiece { text: string; escaped: boolean }

const escapeOf = (c: string) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** The text cut into ordinary runs and escapes (the page styles escapes apart). */
export function shownPieces(text: string, keep: KeptLayout): ShownPiece[] {
  const pieces: ShownPiece[] = [];
  let at = 0;
  for (const m of text.matchAll(UNSAFE[keep])) {
    if (m.index > at) pieces.push({ text: text.slice(at, m.index), escaped: false });
    pieces.push({ text: escapeOf(m[0]), escaped: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), escaped: false });
  return pieces;
}

/** The text with every unsafe character as its visible escape. */
export function shownText(text: string, keep: KeptLayout): string {
  return text.replace(UNSAFE[keep], escapeOf);
}

/**
 * What an editable field that shows shownText(value) holds, back as a value:
 * the escapes of unsafe characters become the characters again, so an edit
 * elsewhere in the field keeps them. (A literal "\u202e" typed into a field
 * becomes the character, which is shown as that same escape.)
 */
export function unshownText(shown: string, keep: KeptLayout): string {
  return shown.replace(/\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})/gi, (escape, high?: string, low?: string, one?: string) => {
    const c = one ? String.fromCharCode(parseInt(one, 16)) : String.fromCharCode(parseInt(high!, 16), parseInt(low!, 16));
    return shownText(c, keep) === c ? escape : c;
  });
}
