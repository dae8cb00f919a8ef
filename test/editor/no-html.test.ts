/**
 * Text from a document (labels, names, notes, group titles, messages) reaches
 * the page only through Vue's text and value bindings: no part of the editor
 * renders a string as markup.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const editor = fileURLToPath(new URL('../../src/editor/', import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(vue|ts)$/.test(e.name) ? [join(dir, e.name)] : []));

describe('the editor renders no string as HTML', () => {
  it('has no v-html, innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
    const found = files(editor).flatMap((f) => readFileSync(f, 'utf8').split('\n')
      .flatMap((line, i) => (/v-html|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/.test(line) ? [`${f.slice(editor.length)}:${i + 1}: ${line.trim()}`] : [])));
    expect(found).toEqual([]);
  });
});
