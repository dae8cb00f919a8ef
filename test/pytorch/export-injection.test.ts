/**
 * A document cannot run code in its exported script: labels, name and
 * description carrying every line break Python or Unicode knows, quotes,
 * triple quotes and backslashes, each with a payload that would create a
 * file, give a script that compiles, trains a step, keeps the text exactly,
 * and creates nothing.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph, type GraphDoc } from '../../src/graph';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { python, records, runScripts, tinyFashionMnist } from '../helpers/python';
import { tiny } from '../helpers/runtime';

/** py_compile each file: null, or why it does not compile. */
const COMPILE = String.raw`
import json, py_compile, sys
def check(path):
    try:
        py_compile.compile(path, doraise=True)
    except py_compile.PyCompileError as e:
        return f'{path}: {e.msg}'
print(json.dumps([check(p) for p in json.load(sys.stdin)]))
`;
const dir = mkdtempSync(join(tmpdir(), 'export-injection-'));
const trap = mkdtempSync(join(tmpdir(), 'pw-'));
const BREAKS = ['\r', '\n', '\r\n', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029'];

let count = 0;
/** Python that creates trap/pwned-N when it runs. */
const payload = () => `__import__('os').system('touch ${trap}/pwned-${++count}')`;

/** Each way out of a comment (at __init__'s indent), a docstring and a string literal, through line break `br`. */
function hostile(br: string) {
  return {
    label: () => `enc${br}        ${payload()}${br}        #`,
    labelAtModule: () => `x${br}${payload()}${br}#`,
    name: () => `x"""${br}${payload()}${br}r"""`,
    quotes: () => `'''${br}${payload()}#' "${br}${payload()}#" \\${br}${payload()}#`,
  };
}

/** SimSiam: every label breaks out at __init__'s indent (on today's code a script that compiles and runs them); BYOL: every way, mixed. */
function hostileDocument(template: 'simsiam' | 'byol', br: string): GraphDoc {
  const h = hostile(br);
  const doc = tiny(template);
  const kinds = template === 'simsiam' ? [h.label] : [h.label, h.labelAtModule, h.quotes];
  doc.nodes.forEach((n, i) => { n.label = kinds[i % kinds.length](); });
  doc.name = h.name();
  doc.description = [h.name(), h.quotes(), `"); ${payload()} #`, `\\"); ${payload()} #`].join(' ');
  const parsed = parseGraph(serializeGraph(doc));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.doc;
}

describe('export-pytorch: document text is never code', () => {
  it(`line breaks (${BREAKS.length} kinds), quotes and backslashes in labels, name and description: the script compiles, trains, and runs no payload`, async () => {
    const docs = BREAKS.flatMap((br) => [hostileDocument('simsiam', br), hostileDocument('byol', br)]);
    const paths = docs.map((doc, i) => {
      const path = join(dir, `hostile-${i}.py`);
      writeFileSync(path, exportPytorch(doc));
      return path;
    });
    const compiled = await python<(string | null)[]>(COMPILE, paths);
    const data = tinyFashionMnist(join(dir, 'fashion-mnist'));
    const runs = await runScripts(paths.map((script, i) => ({ script, args: ['--data', data, '--steps', '1', '--batch', '8', '--out', join(dir, `out-${i}`)] })));
    expect(readdirSync(trap)).toEqual([]);
    expect(compiled.filter(Boolean)).toEqual([]);
    runs.forEach((r, i) => {
      expect(r.error, paths[i]).toBeUndefined();
      expect(records(r.stdout).map((s) => s.step ?? 'done'), paths[i]).toEqual([1, 'done']);
      // the text survives exactly, and --help (the docstring) shows it escaped, as printable ASCII
      expect(r.document).toEqual(JSON.parse(serializeGraph(docs[i])));
      expect(r.doc!.split('\n')[1]).toMatch(/^"[\x20-\x7e]*" \(format v2, sha256 [0-9a-f]{16}…\), embedded below as DOCUMENT\.$/);
      expect(r.graphDoc).toMatch(/^The graph "[\x20-\x7e]*": every module node/);
    });
    expect(count).toBeGreaterThan(BREAKS.length * 2 * 10);
  }, 180_000);
});
