/**
 * The one encoder for document text shown to a person (page and terminal):
 * every code point class that acts instead of showing becomes a visible
 * escape, everything else, including what a note legitimately holds, stays.
 */
import { describe, expect, it } from 'vitest';
import { shownPieces, shownText, unshownText, type KeptLayout } from '../../src/graph';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));
const esc = (c: string) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Each class that must never reach the page or a terminal raw, by name. */
const UNSAFE: Record<string, string[]> = {
  'C0 controls but tab and line feed': [...range(0x00, 0x08), ...range(0x0b, 0x1f)],
  'DEL and C1 controls': range(0x7f, 0x9f),
  'bidi marks (LRM, RLM, ALM)': ['\u200e', '\u200f', '\u061c'],
  'bidi embeddings and overrides': range(0x202a, 0x202e),
  'bidi isolates': range(0x2066, 0x2069),
  'line and paragraph separators': ['\u2028', '\u2029'],
  'invisible format characters': ['\u00ad', '\u180e', '\u200b', ...range(0x2060, 0x2064), ...range(0x206a, 0x206f), '\ufeff', ...range(0xfff9, 0xfffb)],
  'tag characters': range(0xe0000, 0xe007f),
};
/** Text that must come through as it is. */
const SAFE = ['plain ASCII ~!@#$%^&*()_+{}|:"<>?\\', 'ü é ß → 漢字 한국어', 'עברית العربية', '👩\u200d👩\u200d👧 (ZWJ) می\u200cخواهم (ZWNJ)', '\u00a0nbsp', '\\u202e literal backslash'];

describe('shownText', () => {
  for (const [name, chars] of Object.entries(UNSAFE)) {
    it(`escapes ${name} under every layout policy`, () => {
      for (const keep of ['none', 'newline', 'newline-tab'] as KeptLayout[]) {
        for (const c of chars) {
          const shown = shownText(`a${c}b`, keep);
          expect(shown, `U+${c.codePointAt(0)!.toString(16)}`).toBe(`a${esc(c)}b`);
          expect(shown).toMatch(/^[\x20-\x7e]+$/);
        }
      }
    });
  }
  it('keeps ordinary text of every script unchanged', () => {
    for (const s of SAFE) expect(shownText(s, 'none')).toBe(s);
  });
  it('keeps only the layout characters the policy allows', () => {
    expect(shownText('a\tb\nc\rd', 'none')).toBe('a\\u0009b\\u000ac\\u000dd');
    expect(shownText('a\tb\nc\rd', 'newline')).toBe('a\\u0009b\nc\\u000dd');
    expect(shownText('a\tb\nc\rd', 'newline-tab')).toBe('a\tb\nc\\u000dd');
  });
  it('cuts the hostile document name into ordinary runs and escapes', () => {
    const name = 'ctl\u0000\u0007\u001b[31mRED\u001b[0m\u202egnp.exe\u200b';
    expect(shownPieces(name, 'none')).toEqual([
      { text: 'ctl', escaped: false },
      { text: '\\u0000', escaped: true }, { text: '\\u0007', escaped: true }, { text: '\\u001b', escaped: true },
      { text: '[31mRED', escaped: false }, { text: '\\u001b', escaped: true }, { text: '[0m', escaped: false },
      { text: '\\u202e', escaped: true }, { text: 'gnp.exe', escaped: false }, { text: '\\u200b', escaped: true },
    ]);
    expect(shownPieces(name, 'none').map((p) => p.text).join('')).toBe(shownText(name, 'none'));
  });
});

describe('unshownText (an editable field showing escapes)', () => {
  it('gives back the exact value for every unsafe character, an edit around the escapes keeping them', () => {
    const all = Object.values(UNSAFE).flat().join('');
    const value = `x${all}y\tz\n`;
    for (const keep of ['none', 'newline', 'newline-tab'] as KeptLayout[]) expect(unshownText(shownText(value, keep), keep)).toBe(value);
    expect(unshownText(`edited ${shownText('\u202egnp.exe', 'none')}`, 'none')).toBe('edited \u202egnp.exe');
  });
  it('leaves escapes of ordinary characters as the text they are', () => {
    expect(unshownText('\\u0041 \\u00e9 \\ud83d\\ude00', 'none')).toBe('\\u0041 \\u00e9 \\ud83d\\ude00');
  });
});
