/**
 * Node ids never become Python names in an exported script: 1,000 documents
 * whose ids are drawn from every name the script itself uses (prelude and
 * exporter, read by Python's ast), keywords, builtins, nn.Module's members,
 * dunders, leading digits, `-` and `.`, and near-collisions under the name
 * mapping — with random labels, names and descriptions. All compile; their
 * structure is the template's; a sample of 20 trains a step.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorsOf, IdSchema, parseGraph, serializeGraph, type GraphDoc } from '../../src/graph';
import { catalog, validate } from '../../src/nodes';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { python, records, runScripts, tinyFashionMnist } from '../helpers/python';
import { tiny } from '../helpers/runtime';

const SEED = Number(process.env.FC_SEED ?? 14);
const DOCS = 1000;
const RUNS = 20;
const dir = mkdtempSync(join(tmpdir(), 'export-ids-'));
const TEMPLATES = ['simsiam', 'byol'] as const;

/** Every identifier in a script (names, arguments, attributes, definitions, imports), its Graph's attributes and its graph constants. */
const INSPECT = String.raw`
import ast, json, sys
def identifiers(tree):
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name): out.add(n.id)
        elif isinstance(n, ast.arg): out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)): out.add(n.name)
        elif isinstance(n, ast.alias): out.update(x for x in (n.name, n.asname) if x)
        elif isinstance(n, ast.Attribute): out.add(n.attr)
        elif isinstance(n, ast.keyword) and n.arg: out.add(n.arg)
        elif isinstance(n, (ast.Global, ast.Nonlocal)): out.update(n.names)
    return out
def inspect(path):
    src = open(path, encoding='utf-8').read()
    try:
        compile(src, path, 'exec')
    except (SyntaxError, ValueError) as e:
        return dict(error=f'{type(e).__name__}: {e}')
    tree = ast.parse(src)
    graph = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'Graph')
    method = lambda name: next(n for n in graph.body if isinstance(n, ast.FunctionDef) and n.name == name)
    attrs = [t.attr for n in ast.walk(method('__init__')) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Attribute)]
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body
              if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and n.targets[0].id in ('ENCODER', 'PREDICTORS', 'AUGMENT', 'EMA_LINKS')}
    out_keys = [n.slice.value for n in ast.walk(method('forward'))
                if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == 'out' and isinstance(n.ctx, ast.Store)]
    return dict(attrs=attrs, encoder=consts['ENCODER'], predictors=sorted(consts['PREDICTORS']), augment=list(consts['AUGMENT']),
                ema=[list(link[:2]) for link in consts['EMA_LINKS']], outKeys=out_keys, names=sorted(identifiers(tree) - set(attrs)))
job = json.load(sys.stdin)
if job.get('vocabulary'):
    import builtins, keyword
    import torch.nn as nn
    print(json.dumps(dict(keywords=keyword.kwlist + keyword.softkwlist, builtins=dir(builtins), module=dir(nn.Module),
                          script=sorted(set().union(*(identifiers(ast.parse(open(p).read())) for p in job['paths']))))))
else:
    print(json.dumps([inspect(p) for p in job['paths']]))
`;

interface Inspected {
  error?: string;
  attrs: string[];
  encoder: string;
  predictors: string[];
  augment: string[];
  ema: [string, string][];
  outKeys: string[];
  names: string[];
}

let vocabulary: { keywords: string[]; builtins: string[]; module: string[]; script: string[] };
const reference = new Map<string, Inspected>();

beforeAll(async () => {
  const paths = TEMPLATES.map((name) => {
    const path = join(dir, `reference-${name}.py`);
    writeFileSync(path, exportPytorch(tiny(name)));
    return path;
  });
  vocabulary = await python(INSPECT, { vocabulary: true, paths });
  const inspected = await python<Inspected[]>(INSPECT, { paths });
  TEMPLATES.forEach((name, i) => reference.set(name, inspected[i]));
});

const DUNDERS = ['__init__', '__class__', '__dict__', '__debug__', '__name__', '__doc__', '__module__', '__builtins__', '__file__', '__main__', '__import__',
  '__slots__', '__getattr__', '__setattr__', '__call__', '__enc', '__x', '_modules', '_parameters', '_buffers', '_', '__', '___'];
const ODD = ['0', '1enc', '9_', '0x1', '1e5', 'a-b', 'a.b', 'a_b', 'a__b', 'enc.t', 'enc-t', 'x-', 'x.', '_-', '_.', 'n_enc', 'n__', 'n_a_x2d_b', 'a_x2d_b',
  'AUGMENT', 'out', 'loss', 'self', 'images', 'gen', 'views', 'v', 'DEVICE', 'main', 'augment', 'encoder', 'stop-gradient', 'ema-2'];
const validId = (s: string) => IdSchema.safeParse(s).success;

function idArbitrary() {
  const pool = [...new Set([...vocabulary.script, ...vocabulary.keywords, ...vocabulary.builtins, ...vocabulary.module, ...DUNDERS, ...ODD])].filter(validId);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/) },
    // near-collisions under the mapping: a-b / a_x2d_b / a_b / a__b
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('_', '-', '.', 'x', '2', 'd', 'e', 'n', 'a'), minLength: 1, maxLength: 8 }).filter(validId) },
  );
}

const text = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\n', '\r', '"""', "'", '\\', '\u2028', '#')),
  maxLength: 60,
});

/** A template with its node ids replaced (wires follow), labels, name and description drawn. */
function documents(): fc.Arbitrary<{ template: (typeof TEMPLATES)[number]; doc: GraphDoc }> {
  return fc.constantFrom(...TEMPLATES).chain((template) => {
    const base = tiny(template);
    const n = base.nodes.length;
    return fc.record({
      ids: fc.uniqueArray(idArbitrary(), { minLength: n, maxLength: n }),
      labels: fc.array(fc.option(text, { nil: undefined }), { minLength: n, maxLength: n }),
      name: text.filter((s) => s.length > 0),
      description: fc.option(text, { nil: undefined }),
    }).map(({ ids, labels, name, description }) => {
      const rename = new Map(base.nodes.map((node, i) => [node.id, ids[i]]));
      const doc: GraphDoc = {
        ...structuredClone(base), name, description,
        nodes: base.nodes.map((node, i) => ({ ...structuredClone(node), id: ids[i], label: labels[i] })),
        edges: base.edges.map((e) => ({ ...e, from: { ...e.from, node: rename.get(e.from.node)! }, to: { ...e.to, node: rename.get(e.to.node)! } })),
      };
      const parsed = parseGraph(serializeGraph(doc));
      if (!parsed.ok) throw new Error(`a drawn document does not parse: ${JSON.stringify(parsed.errors)}`);
      return { template, doc: parsed.doc };
    });
  });
}

describe('export-pytorch with any valid node ids', () => {
  it(`${DOCS} documents: every script compiles, ids are only dict keys and mapped attributes, and ${RUNS} of them train a step`, async () => {
    const drawn = fc.sample(documents(), { numRuns: DOCS, seed: SEED });
    const paths = drawn.map(({ doc }, i) => {
      expect(errorsOf(validate(doc).problems), `seed ${SEED}, document ${i}`).toEqual([]);
      const path = join(dir, `doc-${i}.py`);
      writeFileSync(path, exportPytorch(doc));
      return path;
    });
    const inspected = await python<Inspected[]>(INSPECT, { paths });
    const members = new Set(vocabulary.module);
    const problems = inspected.flatMap((got, i) => {
      const { template, doc } = drawn[i];
      const where = `seed ${SEED}, document ${i} (ids ${JSON.stringify(doc.nodes.map((n) => n.id))})`;
      if (got.error) return [`${where}: ${got.error}`];
      const traits = validate(doc).traits;
      const modules = doc.nodes.filter((n) => traits.get(n.id)!.module);
      const attrs = new Set(got.attrs);
      const wrong = [
        attrs.size !== modules.length && `${got.attrs.length} module attributes, ${attrs.size} distinct, for ${modules.length} modules`,
        got.attrs.some((a) => !/^n_[A-Za-z0-9_]*$/.test(a) || members.has(a)) && `attributes ${got.attrs.join(' ')}`,
        JSON.stringify([...got.outKeys].sort()) !== JSON.stringify(doc.nodes.filter((n) => catalog.get(n.type)!.pytorch!.forward).map((n) => n.id).sort()) && `outputs ${JSON.stringify(got.outKeys)}`,
        !attrs.has(got.encoder) && `ENCODER ${got.encoder}`,
        got.predictors.some((p) => !attrs.has(p)) && `PREDICTORS ${got.predictors}`,
        got.ema.flat().some((a) => !attrs.has(a)) && `EMA_LINKS ${JSON.stringify(got.ema)}`,
        JSON.stringify(got.augment) !== JSON.stringify(doc.nodes.filter((n) => n.type === 'augment').map((n) => n.id)) && `AUGMENT keys ${JSON.stringify(got.augment)}`,
        JSON.stringify(got.names) !== JSON.stringify(reference.get(template)!.names) &&
          `names differ from the template's: ${got.names.filter((x) => !reference.get(template)!.names.includes(x))}`,
      ].filter(Boolean);
      return wrong.length ? [`${where}: ${wrong.join('; ')}`] : [];
    });
    expect(problems).toEqual([]);
    expect(inspected).toHaveLength(DOCS);

    const data = tinyFashionMnist(join(dir, 'fashion-mnist'));
    const picked = Array.from({ length: RUNS }, (_, k) => Math.floor((k * DOCS) / RUNS));
    expect(new Set(picked.map((i) => drawn[i].template))).toEqual(new Set(TEMPLATES));
    const runs = await runScripts(picked.map((i) => ({ script: paths[i], args: ['--data', data, '--steps', '1', '--batch', '8', '--out', join(dir, `out-${i}`)] })));
    runs.forEach((r, k) => {
      const { doc } = drawn[picked[k]];
      const where = `seed ${SEED}, document ${picked[k]} (ids ${JSON.stringify(doc.nodes.map((n) => n.id))})`;
      expect(r.error, where).toBeUndefined();
      const steps = records(r.stdout);
      expect(steps.map((s) => s.step ?? 'done'), where).toEqual([1, 'done']);
      expect(Number.isFinite(steps[0].loss), where).toBe(true);
      expect(r.document, where).toEqual(JSON.parse(serializeGraph(doc)));
    });
  }, 300_000);
});
