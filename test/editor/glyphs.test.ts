/**
 * The page's own glyphs show without an emoji font (a Linux desktop often has
 * none: 🗑 was a box there). Nothing in the editor's source, nor in the node
 * kinds and graph text it shows, is a character only an emoji font draws:
 * one with emoji presentation by default, one forced to it (VS16), or one
 * beyond the Basic Multilingual Plane (where the pictographs are).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const EMOJI_ONLY = /[\p{Emoji_Presentation}\u{fe0f}\u{10000}-\u{10ffff}]/gu;
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(vue|ts|css|html)$/.test(e.name) ? [join(dir, e.name)] : []));

describe('glyphs', () => {
  it('the editor (and the text it shows from nodes and graph) uses no glyph that needs an emoji font', () => {
    const found = ['src/editor', 'src/nodes', 'src/graph', 'index.html'].flatMap((p) => (p.endsWith('.html') ? [join(root, p)] : files(join(root, p))))
      .flatMap((f) => [...new Set(readFileSync(f, 'utf8').match(EMOJI_ONLY) ?? [])].map((c) => `${relative(root, f)}: ${c} U+${c.codePointAt(0)!.toString(16)}`));
    expect(found).toEqual([]);
  });

  it('the pattern catches what it is for (an emoji, VS16, a pictograph beyond the BMP) and lets the UI\'s text symbols through', () => {
    expect('🗑 ⌚ ❤\u{fe0f} 𝒳'.match(EMOJI_ONLY)).toEqual(['🗑', '⌚', '\u{fe0f}', '𝒳']);
    expect('✕ ☀ ☾ ⤓ ▾ ▴ ▸ ⇤ ⇥ ● σ₂/σ₁ → ≈'.match(EMOJI_ONLY)).toBeNull();
  });
});
