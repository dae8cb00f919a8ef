/**
 * The one encoder from document text to Python source (src/nodes/python.ts),
 * checked by Python itself (/usr/bin/python3): many random samples, one
 * process.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moduleAttribute, py, pyStr } from '../../src/nodes/python';
import { python } from '../helpers/python';

const SEED = Number(process.env.FC_SEED ?? 14);
/** Any code point, and lone surrogates (which a JS string, and a Python str, can hold). */
const codeUnit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\r', '\n', '\r\n', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029', '"', "'", '"""', "'''", '\\', '\0', '#', '{', '}', '\x7f'),
);
const text = fc.array(codeUnit, { maxLength: 40 }).map((parts) => parts.join(''));
const units = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

const CHECK_LITERALS = String.raw`
import ast, io, json, struct, sys, tokenize
report = []
for src, code_units in json.load(sys.stdin):
    want = struct.pack('<%dH' % len(code_units), *code_units).decode('utf-16-le', 'surrogatepass')
    got = ast.literal_eval(src)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    # in a comment and in a raw docstring it stays text: nothing after it runs, the docstring holds it verbatim
    env = {}
    exec(compile('x = 1  # ' + src + '\ny = 2\n', 'comment', 'exec'), env)
    docstring = ast.literal_eval('r"""A ' + src + ' b"""')
    report.append(dict(equal=got == want, oneToken=len(tokens) == 1 and tokens[0].type == tokenize.STRING,
                       comment=sorted(k for k in env if k != '__builtins__') == ['x', 'y'], docstring=docstring == 'A ' + src + ' b'))
print(json.dumps(report))
`;

describe('pyStr', () => {
  it('is printable ASCII, and Python reads back exactly the string (2,000 random strings with line breaks, quotes, lone surrogates)', async () => {
    const samples = [...fc.sample(text, { numRuns: 2000, seed: SEED }), '', '\ud800', '\udfff\ud800', '\u{10ffff}', 'a\\', '\\"'];
    for (const s of samples) expect(pyStr(s)).toMatch(/^"[\x20-\x7e]*"$/);
    const report = await python<Record<string, boolean>[]>(CHECK_LITERALS, samples.map((s) => [pyStr(s), units(s)]));
    const bad = report.flatMap((r, i) => (Object.values(r).every(Boolean) ? [] : [`${JSON.stringify(samples[i])} → ${pyStr(samples[i])}: ${JSON.stringify(r)}`]));
    expect(bad, `seed ${SEED}`).toEqual([]);
    expect(report).toHaveLength(samples.length);
  });
});

describe('py', () => {
  it('writes JSON values as Python literals equal to them, with sorted dict keys', async () => {
    const values = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 500, seed: SEED });
    const report = await python<boolean[]>(
      'import ast, json, sys\nprint(json.dumps([ast.literal_eval(src) == json.loads(j) for src, j in json.load(sys.stdin)]))',
      values.map((v) => [py(v), JSON.stringify(v)]),
    );
    expect(report.every(Boolean), `seed ${SEED}: ${values.filter((_, i) => !report[i]).map((v) => JSON.stringify(v)).join(' | ')}`).toBe(true);
    expect(py({ b: 1, a: [true, null, -0, 1e-7, 'x'] })).toBe('{"a": [True, None, -0.0, 1e-7, "x"], "b": 1}');
    expect(() => py(Number.NaN)).toThrow('no Python literal for the number NaN');
    expect(() => py(undefined)).toThrow('no Python literal for a undefined');
  });
});

/** The inverse of moduleAttribute, written from its definition, or undefined for a name it cannot make. */
function decodeAttribute(name: string): string | undefined {
  const m = /^n_(.*)$/s.exec(name);
  if (!m) return undefined;
  let out = '';
  for (let i = 0, s = m[1]; i < s.length;) {
    if (/[A-Za-z0-9]/.test(s[i])) out += s[i++];
    else if (s.startsWith('__', i)) (out += '_'), (i += 2);
    else {
      const hex = /^_x([0-9a-f]+)_/.exec(s.slice(i));
      if (!hex) return undefined;
      out += String.fromCodePoint(parseInt(hex[1], 16));
      i += hex[0].length;
    }
  }
  return out;
}

describe('moduleAttribute', () => {
  it('is total and injective (it decodes back), and an ASCII identifier that never starts with "__"', () => {
    fc.assert(fc.property(text, (id) => {
      const name = moduleAttribute(id);
      expect(name).toMatch(/^n_[A-Za-z0-9_]*$/);
      expect(decodeAttribute(name)).toBe(id);
    }), { numRuns: 5000, seed: SEED });
    const near = ['a-b', 'a_b', 'a.b', 'a__b', 'a_x2d_b', 'a_x2d__b', '_', '__', 'x2d', '_x2d_', 'n', 'n_', '__init__', 'forward'];
    expect(new Set(near.map(moduleAttribute)).size).toBe(near.length);
    expect(near.map(moduleAttribute).slice(0, 4)).toEqual(['n_a_x2d_b', 'n_a__b', 'n_a_x2e_b', 'n_a____b']);
  });
});
