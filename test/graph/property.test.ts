/**
 * Property test: whatever arrives — random values, templates with random
 * parts replaced, random or cut text — parseGraph never throws, never
 * touches Object.prototype, and returns a document or errors (and validation
 * of any document it returns never throws either).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGraph, type ParseResult } from '../../src/graph';
import { validate } from '../../src/nodes';
import { templateText } from '../helpers/docs';

const MEGABYTE = 'x'.repeat(1 << 20);
const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join();
const cleanProto = protoKeys();

function check(input: unknown) {
  let result: ParseResult | undefined;
  expect(() => { result = parseGraph(input); }).not.toThrow();
  const r = result!;
  if (r.ok) expect(() => validate(r.doc)).not.toThrow();
  else {
    expect(r.errors.length).toBeGreaterThan(0);
    // a refusal, never parse's catch-all: reaching that is a bug, whatever the input
    expect(r.errors.filter((e) => e.code === 'internal-error')).toEqual([]);
    for (const e of r.errors) expect(typeof e.message === 'string' && typeof e.path === 'string').toBe(true);
  }
  expect(protoKeys()).toBe(cleanProto);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const nasty = fc.oneof(
  fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withTypedArray: true }),
  fc.constantFrom(MEGABYTE, 1e308, -1e308, Number.MAX_SAFE_INTEGER * 8, NaN, Infinity, -0, '', '__proto__', null, [], {}),
  fc.integer({ min: 1, max: 300 }).map((depth) => JSON.parse(`${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`)),
  fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => JSON.parse(`{"${k}": {"polluted": true}}`)),
);

/** Every path (list of keys) into a JSON value. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const plain = Array.isArray(v) || (v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v)));
  if (!plain) return [at];
  const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return [at, ...entries.flatMap(([k, x]) => paths(x, [...at, k]))];
}

function mutate(doc: unknown, path: Array<string | number>, action: 'set' | 'delete' | 'rename', value: unknown): unknown {
  if (path.length === 0) return action === 'set' ? value : doc;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (action === 'delete') delete parent[last];
  else if (action === 'rename') {
    Object.defineProperty(parent, '__proto__', { value: parent[last], enumerable: true, configurable: true, writable: true });
    delete parent[last];
  } else parent[last] = value;
  return copy;
}

/** A v2 document with a note and a group, so that their parts are mutated too. */
const annotated = {
  ...JSON.parse(templateText('simsiam')), version: 2,
  notes: [{ id: 'note', text: 'a note', position: { x: 0, y: 0 } }],
  groups: [{ id: 'group', title: 'heads', collapsed: true, nodes: ['proj', 'pred'] }],
};
const templates = [...['simsiam', 'byol'].map((n) => JSON.parse(templateText(n))), annotated];
const templatePaths = templates.map((t) => paths(t));

describe('parseGraph on hostile input', () => {
  it('random values (4000)', () => {
    fc.assert(fc.property(nasty, check), { numRuns: 4000 });
  });

  it('templates with a random part replaced, removed or renamed (4000)', () => {
    const mutation = fc.integer({ min: 0, max: templates.length - 1 }).chain((t) =>
      fc.tuple(fc.constant(t), fc.integer({ min: 0, max: templatePaths[t].length - 1 }), fc.constantFrom('set', 'set', 'delete', 'rename') as fc.Arbitrary<'set' | 'delete' | 'rename'>, nasty));
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      let doc: unknown = templates[ms[0][0]];
      for (const [, i, action, value] of ms) {
        const all = paths(doc);
        doc = mutate(doc, all[i % all.length], action, value);
      }
      check(doc);
    }), { numRuns: 4000 });
  });

  it('random text: JSON, cut templates, garbage (2000)', () => {
    const text = fc.oneof(
      fc.json(),
      fc.string(),
      fc.integer({ min: 0, max: 4000 }).map((n) => templateText('byol').slice(0, n)),
      fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.string()).map(([n, s]) => templateText('simsiam').slice(0, n) + s),
    );
    fc.assert(fc.property(text, check), { numRuns: 2000 });
  });
});
