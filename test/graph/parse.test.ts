import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, parseGraph, serializeGraph, type ParseOptions } from '../../src/graph';
import { defaultMigrations } from '../../src/graph/migrate';
import { template, templateText } from '../helpers/docs';

const errorOf = (input: unknown, options?: ParseOptions) => {
  const r = parseGraph(input, options);
  if (r.ok) throw new Error('expected a failure');
  return r.errors;
};

describe('parseGraph', () => {
  it('accepts a template given as text or as a value', () => {
    const value = JSON.parse(templateText('byol'));
    expect(parseGraph(value)).toEqual(parseGraph(templateText('byol')));
  });

  it('reports truncated JSON with its line and column', () => {
    const text = templateText('simsiam');
    const [e] = errorOf(text.slice(0, 300));
    expect(e.code).toBe('not-json');
    expect(e.message).toMatch(/^not valid JSON: the text ends too early \(truncated\?\) at line \d+, column \d+$/);
  });

  it('refuses another format and says what it is', () => {
    expect(errorOf({ format: 'rete', version: 1 })[0]).toMatchObject({ code: 'wrong-format', path: 'format', message: 'not a Siamese Studio graph: "format" is "rete", expected "siamese-studio.graph"' });
    expect(errorOf([1, 2])[0].code).toBe('wrong-format');
    expect(errorOf('null')[0].code).toBe('wrong-format');
    expect(errorOf({})[0].message).toContain('it has no "format"');
  });

  it('refuses a bad version', () => {
    expect(errorOf({ format: 'siamese-studio.graph', version: 0 })[0]).toMatchObject({ code: 'bad-version', path: 'version' });
    expect(errorOf({ format: 'siamese-studio.graph', version: '1' })[0].code).toBe('bad-version');
  });

  it('migrates older versions through the hook, in order', () => {
    const v1 = JSON.parse(templateText('simsiam'));
    const v0 = { ...v1, version: 0, title: v1.name };
    delete v0.name;
    const r = parseGraph(v0, {
      migrations: { ...defaultMigrations, 0: (d) => { const { title, ...rest } = d as Record<string, unknown>; return { ...rest, name: title, version: 1 }; } },
    });
    expect(r).toEqual({ ok: true, doc: template('simsiam'), migratedFrom: 0 });
    expect(errorOf(v0)[0]).toMatchObject({ code: 'bad-version', message: '"version" must be an integer from 1 to 2, got 0' });
    expect(errorOf({ ...v1, version: 1 }, { migrations: { 0: (d) => d } })[0]).toMatchObject({ code: 'migration-failed', message: 'no migration from version 1 to 2' });
    const broken = parseGraph(v0, { migrations: { ...defaultMigrations, 0: () => { throw new Error('no title'); } } });
    expect(broken).toMatchObject({ ok: false, errors: [{ code: 'migration-failed', message: 'migrating from version 0 failed: no title' }] });
  });

  it('reports structural errors with JSON paths', () => {
    const doc = JSON.parse(templateText('simsiam'));
    doc.nodes[3].position.x = 'left';
    delete doc.edges[2].to;
    doc.nodes[1].id = 'has space';
    doc.extra = true;
    const errors = errorOf(doc).map((e) => `${e.path}: ${e.message}`);
    expect(errors).toEqual([
      'nodes[1].id: must be 1–64 letters, digits, "_", "-" or "." (starting with a letter, digit or "_"), got "has space"',
      'nodes[3].position.x: must be a number, got "left"',
      'edges[2].to: is required',
      ': unknown key "extra"',
    ]);
  });

  it('fills in missing training settings with the reference workload', () => {
    const doc = JSON.parse(templateText('simsiam'));
    delete doc.training;
    const r = parseGraph(doc);
    const reference = template('simsiam').training;
    expect(r.ok && r.doc.training).toEqual({ ...reference, evaluation: { ...reference.evaluation, everySteps: 0 } });
  });

  it('refuses a value JSON cannot hold, naming where it is (a document given as an object)', () => {
    const doc = template('simsiam') as unknown as { nodes: Array<{ params: Record<string, unknown> }> };
    doc.nodes[1].params.size = 28n;
    expect(parseGraph(doc)).toEqual({ ok: false, errors: [{ severity: 'error', code: 'not-json', path: 'nodes[1].params.size', message: 'holds a bigint, which JSON cannot: a graph document is JSON data' }] });
  });

  it('refuses __proto__ and constructor keys without touching prototypes', () => {
    const text = templateText('simsiam').replace('"source": "fashion-mnist"', '"source": "fashion-mnist", "__proto__": { "polluted": true }');
    expect(errorOf(text)[0]).toMatchObject({ code: 'forbidden-key', path: 'nodes[0].params.__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(errorOf(deep)[0]).toMatchObject({ code: 'too-deep', message: `nested deeper than ${MAX_DEPTH} levels` });
    const cyclic: Record<string, unknown> = { format: 'siamese-studio.graph', version: 1 };
    cyclic.self = cyclic;
    expect(errorOf(cyclic)[0].code).toBe('too-deep');
  });

  it('refuses a huge text before parsing it', () => {
    expect(errorOf(' '.repeat(6_000_000))[0].code).toBe('too-large');
  });

  it('keeps a 1 MB string out of its messages', () => {
    const doc = JSON.parse(templateText('simsiam'));
    doc.name = 'x'.repeat(1_000_000);
    const [e] = errorOf(doc);
    expect(e.path).toBe('name');
    expect(e.message.length).toBeLessThan(200);
    expect(e.message).toBe('must be at most 200 characters (has 1000000)');
  });

  it('serializes what it parsed from a minimal document', () => {
    const r = parseGraph({ format: 'siamese-studio.graph', version: 1, name: 'empty', nodes: [], edges: [] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(parseGraph(serializeGraph(r.doc))).toEqual({ ok: true, doc: r.doc });
  });
});
