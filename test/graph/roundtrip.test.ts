import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, parseGraph, serializeGraph } from '../../src/graph';
import { template, templateNames, templateText } from '../helpers/docs';

describe.each(templateNames)('template %s', (name) => {
  // Templates may be stored in an older format (the app and CLI migrate on load): then the
  // canonical text is the file's with the current version, and that one round-trips as it is.
  it('is byte-identical after one parse → serialize (once migrated to the current version)', () => {
    const text = templateText(name);
    const canonical = text.replace(/^ {2}"version": \d+,$/m, `  "version": ${CURRENT_VERSION},`);
    const r = parseGraph(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(serializeGraph(r.doc)).toBe(canonical);
    const again = parseGraph(canonical);
    expect(again.ok && again.migratedFrom).toBe(undefined);
    if (again.ok) expect(serializeGraph(again.doc)).toBe(canonical);
  });

  it('parse → serialize → parse is the identity on the document', () => {
    const doc = template(name);
    const again = parseGraph(serializeGraph(doc));
    expect(again).toEqual({ ok: true, doc: { ...doc, version: CURRENT_VERSION } });
  });

  it('serializes the same document with shuffled keys to the same text', () => {
    const doc = template(name);
    const shuffle = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(shuffle)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffle(x)]))
      : v;
    const r = parseGraph(shuffle(doc));
    expect(r.ok && serializeGraph(r.doc)).toBe(serializeGraph(doc));
  });
});

describe('serializeGraph', () => {
  it('keeps flat short arrays on one line and ends with a newline', () => {
    const text = templateText('simsiam');
    expect(text).toContain('"widths": [32, 64, 128, 256]');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "format": "siamese-studio.graph",');
  });
});
