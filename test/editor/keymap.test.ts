/** The keymap is the one table of shortcuts: keys match as listed, and the README's keys table is the same table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shortcutFor, shortcuts } from '../../src/editor/keymap';

const press = (key: string, mods: { ctrlKey?: boolean; shiftKey?: boolean; metaKey?: boolean; altKey?: boolean } = {}) =>
  shortcutFor({ key, ctrlKey: false, shiftKey: false, metaKey: false, altKey: false, ...mods } as KeyboardEvent)?.action;

describe('keymap', () => {
  it('maps each key to its action, modifiers included', () => {
    expect([press('Delete'), press('Backspace'), press('z', { ctrlKey: true }), press('Z', { ctrlKey: true, shiftKey: true }), press('y', { metaKey: true })])
      .toEqual(['delete', 'delete', 'undo', 'redo', 'redo']);
    expect([press('a', { ctrlKey: true }), press('Escape'), press('s', { ctrlKey: true }), press('f'), press('F', { shiftKey: true }), press('m'), press('?', { shiftKey: true })])
      .toEqual(['selectAll', 'selectNone', 'export', 'fit', 'fit', 'minimap', 'shortcuts']);
    expect([press('n'), press('N', { shiftKey: true }), press('g'), press('n', { ctrlKey: true }), press('g', { altKey: true })]).toEqual(['addNote', 'addNote', 'group', undefined, undefined]);
    expect([press('f', { ctrlKey: true }), press('m', { altKey: true }), press('a'), press('z'), press('c', { ctrlKey: true })]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('is the README\'s keys table, row for row', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| keys | |'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2).map((r) => r.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, '')));
    expect(rows).toEqual(shortcuts.map((s) => [s.keys, s.does]));
  });
});
