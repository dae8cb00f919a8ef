/**
 * The exported script is one Python namespace: the fixed part's .py files,
 * the node kinds' helpers and the graph section. A second top-level
 * `def`/`class`/assignment of a name would silently replace the first, so the
 * exporter refuses it, naming the name and both owners. The parser of
 * top-level names is checked here line by line, and the built-in kinds'
 * helpers with the fixed part are checked to clash nowhere.
 */
import { describe, expect, it } from 'vitest';
import type { GraphDoc } from '../../src/graph';
import { catalog as builtIn, catalogOf, nodeKinds } from '../../src/nodes';
import type { NodeKind } from '../../src/nodes/kind';
import { exportPytorch, ExportError } from '../../src/runtime/pytorch/export';
import { FIXED_PARTS } from '../../src/runtime/pytorch/prelude';
import { nameClash, topLevelNames } from '../../src/runtime/pytorch/top-level-names';
import { tiny } from '../helpers/runtime';

describe('topLevelNames', () => {
  it('finds def, async def, class and assignments at column 0 (tuples and annotations too), nothing indented, no import, no comparison', () => {
    const source = [
      'import torch',
      'from torch import nn as tnn',
      'def f(x):',
      '    y = x',
      '    def inner(): pass',
      'async def g():',
      '    return 1',
      'class C(nn.Module):',
      '    K = 2',
      'LIMIT = 3',
      'A, B = 1, 2',
      'SCALE: float = 0.5',
      'x == 1',
      '# D = 4',
      'if True:',
      '    E = 5',
    ].join('\n');
    expect(topLevelNames(source)).toEqual(['f', 'g', 'C', 'LIMIT', 'A', 'B', 'SCALE']);
  });

  it('skips what is inside triple-quoted strings, both delimiters, across lines and on one line', () => {
    const source = [
      'r"""A docstring that shows',
      'usage = "x"',
      'def not_this(): ...',
      '"""',
      "NOTE = '''one line''' ; X = 1",
      "'''",
      'class NotThis: pass',
      "'''",
      'def after(): """a one-line docstring"""',
      'Y = """',
      'Z = 3',
      '"""',
      'W = 4',
    ].join('\n');
    expect(topLevelNames(source)).toEqual(['NOTE', 'after', 'Y', 'W']);
  });
});

describe('nameClash', () => {
  it('names the name and both owners; the same text brought by two kinds counts once', () => {
    const shared = 'def gather_batch(x):\n    return x\n';
    expect(nameClash([{ owner: 'kind "a"', source: shared }, { owner: 'kind "b"', source: shared }, { owner: 'kind "c"', source: 'def c():\n    pass\n' }])).toBeUndefined();
    expect(nameClash([{ owner: 'kind "a"', source: shared }, { owner: 'kind "b"', source: shared }, { owner: 'kind "c"', source: 'gather_batch = None\n' }]))
      .toBe('the Python name "gather_batch" is defined by kind "a" and kind "b" and again by kind "c": the second would silently replace the first');
  });

  it('finds none among all the built-in kinds\' helpers and the fixed part', () => {
    const pieces = [
      ...Object.entries(FIXED_PARTS).map(([file, source]) => ({ owner: file, source })),
      ...builtIn.kinds.flatMap((k) => [k.pytorch?.python ?? []].flat().map((source) => ({ owner: k.type, source }))),
    ];
    expect(nameClash(pieces)).toBeUndefined();
    // the parser sees them: the fixed part's entry point and optimizer, the loss and the building blocks
    const names = pieces.flatMap((p) => topLevelNames(p.source));
    expect(names).toEqual(expect.arrayContaining(['main', 'make_optimizer', 'LARS', 'DEVICE', 'EXIT_INTERRUPTED', 'siamese_loss', 'MLP', 'gather_batch']));
    expect(Object.keys(FIXED_PARTS)).toHaveLength(9);
  });
});

describe('exportPytorch with a kind whose helper redefines a name', () => {
  /** stop-gradient as a kind of this test's own, bringing `python` as its helper. */
  const detachWith = (python: string): NodeKind<any> => {
    const stop = builtIn.get('stop-gradient')!;
    return { ...stop, type: 'detach-with-helper', pytorch: { ...stop.pytorch, python } };
  };
  const exportWith = (python: string) => {
    const doc: GraphDoc = tiny('simsiam');
    for (const n of doc.nodes) if (n.type === 'stop-gradient') n.type = 'detach-with-helper';
    return exportPytorch(doc, catalogOf([...nodeKinds, detachWith(python)]));
  };

  it('exports when its names are its own', () => {
    expect(exportWith('def detach_all(views):\n    return [v.detach() for v in views]\n')).toContain('\ndef detach_all(views):\n');
  });

  it.each([
    ['another kind\'s helper', 'def siamese_loss(p, z, objective):\n    return 0\n', '"siamese_loss" is defined by kind "loss" and again by kind "detach-with-helper"'],
    ['the fixed part\'s', 'def main():\n    return 0\n', '"main" is defined by the script\'s fixed part (train.py) and again by kind "detach-with-helper"'],
    ['the graph section\'s', 'class Graph:\n    pass\n', '"Graph" is defined by kind "detach-with-helper" and again by the script\'s graph section'],
    ['an assignment', 'DEVICE = None\n', '"DEVICE" is defined by the script\'s fixed part (cli.py) and again by kind "detach-with-helper"'],
  ])('refuses one that redefines %s, naming the name and both', (_, python, where) => {
    expect(() => exportWith(python)).toThrow(ExportError);
    expect(() => exportWith(python)).toThrow(`the Python name ${where}: the second would silently replace the first; rename one of them`);
  });
});
