/**
 * The exported script's Python is Python: py_compile and pyflakes (Debian's
 * python3-pyflakes, on /usr/bin/python3) find nothing in each .py file of
 * src (given the names the other files and the graph section define), in the
 * fixed part as one file (given GRAPH_NAMES, the only names it takes from the
 * graph section), and in every template's export; each .py.ts is what
 * scripts/build-python.mjs makes of its .py.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/graph';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { GRAPH_NAMES, prelude } from '../../src/runtime/pytorch/prelude';
import { python } from '../helpers/python';

const root = join(import.meta.dirname, '..', '..');
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

interface Unit { name: string; source: string; builtins: string[] }
interface Lint { parts: Record<string, string[]>; units: Record<string, string[]>; defines: Record<string, string[]> }

/** Each part linted with the others' module-level names (and GRAPH_NAMES) as given; each unit with its own builtins. */
const LINT = String.raw`
import ast, json, os, py_compile, sys, tempfile
from pyflakes.checker import Checker

def defined(source):
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names

def lint(name, source, builtins):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, os.path.basename(name))
        with open(path, 'w', encoding='utf-8') as f:
            f.write(source)
        try:
            py_compile.compile(path, cfile=path + 'c', doraise=True)
        except py_compile.PyCompileError as e:
            return [f'py_compile: {e.msg}']
    checker = Checker(ast.parse(source, filename=name), filename=name, builtins=set(builtins))
    return sorted(str(m) for m in checker.messages)

job = json.load(sys.stdin)
names = {p['name']: defined(p['source']) for p in job['parts']}
parts = {p['name']: lint(p['name'], p['source'], set(job['graphNames']).union(*(n for q, n in names.items() if q != p['name'])))
         for p in job['parts']}
units = {u['name']: lint(u['name'], u['source'], u['builtins']) for u in job['units']}
print(json.dumps(dict(parts=parts, units=units, defines={u['name']: sorted(defined(u['source'])) for u in job['units']})))
`;

const pyFiles = walk(join(root, 'src')).filter((f) => f.endsWith('.py')).sort();
const templates = readdirSync(join(root, 'templates')).filter((f) => f.endsWith('.json')).sort();
const exported = (file: string) => {
  const parsed = parseGraph(readFileSync(join(root, 'templates', file), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
  return exportPytorch(parsed.doc);
};
const fixed = prelude([], []);
const units: Unit[] = [
  { name: 'fixed-part.py', source: fixed, builtins: GRAPH_NAMES },
  { name: 'fixed-part-alone.py', source: fixed, builtins: [] },
  ...templates.map((t) => ({ name: t.replace(/\.json$/, '.py'), source: exported(t), builtins: [] })),
];

let result: Lint;
beforeAll(async () => {
  result = await python<Lint>(LINT, {
    graphNames: GRAPH_NAMES,
    parts: pyFiles.map((f) => ({ name: relative(root, f), source: readFileSync(f, 'utf8') })),
    units,
  });
}, 120_000);

describe('the exported script\'s Python, linted', () => {
  it('finds the .py files: the fixed part\'s and the node kinds\'', () => {
    const names = pyFiles.map((f) => relative(root, f));
    expect(names).toContain('src/runtime/pytorch/prelude/train.py');
    expect(names).toContain('src/nodes/loss.py');
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  it('each .py file: py_compile and pyflakes find nothing', () => {
    for (const [name, messages] of Object.entries(result.parts)) expect(messages, name).toEqual([]);
    expect(Object.keys(result.parts)).toHaveLength(pyFiles.length);
  });

  it('the fixed part as one file: nothing, and alone it lacks exactly GRAPH_NAMES', () => {
    expect(result.units['fixed-part.py']).toEqual([]);
    const undefinedNames = result.units['fixed-part-alone.py'].map((m) => /undefined name '(\w+)'$/.exec(m)?.[1] ?? m);
    expect([...new Set(undefinedNames)].sort()).toEqual([...GRAPH_NAMES].sort());
  });

  it.each(templates)('%s exported: nothing, and it defines GRAPH_NAMES', (template) => {
    const name = template.replace(/\.json$/, '.py');
    expect(result.units[name]).toEqual([]);
    expect(result.defines[name]).toEqual(expect.arrayContaining(GRAPH_NAMES));
  });

  it('each .py.ts is what scripts/build-python.mjs makes of its .py', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-python.mjs'), '--check']);
    expect(stdout).toContain(`python modules: ${pyFiles.length} up to date`);
  });
});
