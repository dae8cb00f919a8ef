/**
 * Format v2: the canvas's notes and groups. Stored canonically (byte-identical
 * round trip), migrated from v1, refused with a path when broken, and never
 * part of what is trained.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { graphChanges, parseGraph, serializeGraph, trainedKey, type GraphDoc, type Problem } from '../../src/graph';
import { documentJsonSchema } from '../../src/nodes/json-schema';
import { nodeKinds } from '../../src/nodes';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { template } from '../helpers/docs';

/** SimSiam with a note and a group around its two heads. */
function annotated(): GraphDoc {
  return {
    ...template('simsiam'),
    notes: [{ id: 'note', text: 'SimSiam §4: without the stop-gradient\nthis collapses.', position: { x: 10, y: -120 } }],
    groups: [{ id: 'group', title: 'heads', nodes: ['proj', 'pred'] }],
  };
}

/** A template as a v1 file (as the first templates are stored; built here, whatever version a template file has now). */
const v1Text = (name: string) => serializeGraph(template(name)).replace('\n  "version": 2,\n', '\n  "version": 1,\n');

const refusal = (input: unknown): Problem[] => {
  const r = parseGraph(input);
  if (r.ok) throw new Error('expected a refusal');
  return r.errors;
};
const lines = (ps: Problem[]) => ps.map((p) => `${p.path}: ${p.message} [${p.code}]`);

describe('format v2: notes and groups', () => {
  it('writes notes and groups after the wires in a fixed key order, and reads that text back byte-identical', () => {
    const text = serializeGraph(annotated());
    expect(text).toContain([
      '  "notes": [',
      '    {',
      '      "id": "note",',
      '      "text": "SimSiam §4: without the stop-gradient\\nthis collapses.",',
      '      "position": { "x": 10, "y": -120 }',
      '    }',
      '  ],',
      '  "groups": [',
      '    {',
      '      "id": "group",',
      '      "title": "heads",',
      '      "nodes": ["proj", "pred"]',
      '    }',
      '  ],',
      '  "training": {',
    ].join('\n'));
    const r = parseGraph(text);
    expect(r).toEqual({ ok: true, doc: annotated() });
    if (r.ok) expect(serializeGraph(r.doc)).toBe(text);
    const collapsed = { ...annotated(), groups: [{ id: 'group', title: 'heads', collapsed: true, nodes: ['proj', 'pred'] }] };
    const folded = serializeGraph(collapsed);
    expect(folded).toContain('"title": "heads",\n      "collapsed": true,\n      "nodes": ["proj", "pred"]');
    const again = parseGraph(folded);
    expect(again.ok && serializeGraph(again.doc)).toBe(folded);
  });

  it('migrates a v1 template: read as v2, and re-serialized it is v2 (its text otherwise unchanged)', () => {
    const v1 = v1Text('byol');
    expect(JSON.parse(v1).version).toBe(1);
    const r = parseGraph(v1);
    expect(r.ok && r.migratedFrom).toBe(1);
    if (!r.ok) return;
    expect(r.doc.version).toBe(2);
    const v2 = serializeGraph(r.doc);
    expect(JSON.parse(v2).version).toBe(2);
    expect(v2).toBe(v1.replace('\n  "version": 1,\n', '\n  "version": 2,\n'));
    expect(parseGraph(v2)).toEqual({ ok: true, doc: r.doc });
  });

  it('refuses a v1 document with notes (v1 had none), and a version newer than 2', () => {
    const v1 = { ...JSON.parse(v1Text('simsiam')), notes: [] };
    expect(lines(refusal(v1))).toEqual([': migrating from version 1 failed: a version 1 document has no "notes" (they came with version 2) [migration-failed]']);
    expect(refusal({ ...annotated(), version: 3 })[0]).toMatchObject({ code: 'newer-version', path: 'version' });
  });

  it('refuses broken notes and groups with the path of each', () => {
    const doc = annotated() as { notes: unknown[]; groups: unknown[] };
    doc.groups = [
      { id: 'heads', title: 'heads', nodes: ['proj', 'ghost', 'proj'] },
      { id: 'more', title: 'more', nodes: ['pred', 'proj'] },
      { id: 'note', title: 'taken', nodes: ['enc'] },
    ];
    expect(lines(refusal(doc))).toEqual([
      'groups[0].nodes[1]: names no node of the document ("ghost") [structure]',
      'groups[0].nodes[2]: names node "proj" twice [structure]',
      'groups[1].nodes[1]: node "proj" is already in group "heads": a node belongs to one group at most [structure]',
      'groups[2].id: "note" is already the id of notes[0] [structure]',
    ]);
    const huge = { ...annotated(), notes: [{ id: 'n', text: 'x'.repeat(10_001), position: { x: 0, y: 0 } }] };
    expect(lines(refusal(huge))).toEqual(['notes[0].text: must be at most 10000 characters (has 10001) [structure]']);
    const bad = { ...annotated(), notes: [{ id: 'n', text: 'hi', position: { x: 0, y: 0 }, html: '<b>' }], groups: [{ id: 'g', title: 't'.repeat(201), nodes: [] }] };
    expect(lines(refusal(bad))).toEqual([
      'notes[0]: unknown key "html" [structure]',
      'groups[0].title: must be at most 200 characters (has 201) [structure]',
      'groups[0].nodes: must name at least one node (has 0) [structure]',
    ]);
  });

  it('are not trained: editing a note or a group changes neither the trained key nor the changes a resume lists', () => {
    const plain = template('simsiam');
    const edited = annotated();
    expect(trainedKey(edited)).toBe(trainedKey(plain));
    expect(graphChanges(plain, edited)).toEqual([]);
    const renoted = { ...edited, notes: [{ ...edited.notes![0], text: 'another text', position: { x: 500, y: 500 } }], groups: [] };
    expect(trainedKey(renoted)).toBe(trainedKey(edited));
    // …while a param still is (the key can tell documents apart).
    const changed = structuredClone(edited);
    (changed.nodes.find((n) => n.id === 'pred')!.params as Record<string, unknown>).hiddenDim = 77;
    expect(trainedKey(changed)).not.toBe(trainedKey(edited));
  });

  it('the JSON Schema (format v2) takes notes and groups and refuses a note without text', () => {
    const check = new Ajv2020({ allErrors: true, strict: false }).compile(documentJsonSchema(nodeKinds));
    expect(check(JSON.parse(serializeGraph(annotated()))), JSON.stringify(check.errors)).toBe(true);
    const noText = JSON.parse(serializeGraph(annotated()));
    delete noText.notes[0].text;
    expect(check(noText)).toBe(false);
    expect(check({ ...JSON.parse(serializeGraph(annotated())), version: 1 })).toBe(false);
  });
});

describe('the exported script', () => {
  it('carries notes and group titles only inside the embedded DOCUMENT, and says format v2', () => {
    const doc = annotated();
    doc.notes![0].text = 'MARK-N"""\n__import__("os").system("touch /tmp/pwned")\n#';
    doc.groups![0].title = "MARK-G'''\r\nprint(1)";
    const script = exportPytorch(doc);
    const marked = script.split(/\r\n|\r|\n/).filter((l) => l.includes('MARK-'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(/^DOCUMENT = json\.loads\("[ -~]*"\)$/);
    expect(script).toContain('"SimSiam" (format v2, sha256 ');
    // What a checkpoint is compared against on --resume: the same with or without them.
    const trained = (text: string) => /^TRAINED_SHA256 = .*$/m.exec(text)?.[0];
    expect(trained(script)).toMatch(/^TRAINED_SHA256 = "[0-9a-f]{64}"$/);
    expect(trained(script)).toBe(trained(exportPytorch(template('simsiam'))));
  });
});

describe('siamese-studio validate on v1 and v2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'notes-groups-'));
  async function validateFile(name: string, text: string) {
    const path = join(dir, name);
    writeFileSync(path, text);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['validate', path], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.map((l) => l.replace(`${dir}/`, '')), err: err.map((l) => l.replace(`${dir}/`, '')) };
  }

  it('accepts both versions (saying when it migrated), refuses v3 and a broken group', async () => {
    expect(await validateFile('v1.json', v1Text('simsiam'))).toEqual({ code: 0, out: ['v1.json: valid (7 nodes, 7 edges; format v1, read as v2)'], err: [] });
    expect(await validateFile('v2.json', serializeGraph(annotated()))).toEqual({ code: 0, out: ['v2.json: valid (7 nodes, 7 edges, 1 note, 1 group)'], err: [] });
    const v3 = serializeGraph(annotated()).replace('"version": 2', '"version": 3');
    expect(await validateFile('v3.json', v3)).toEqual({
      code: 2, out: [],
      err: ['siamese-studio: v3.json: version: this document is format version 3, newer than this Siamese Studio understands (2); update Siamese Studio to open it'],
    });
    const ghost = serializeGraph(annotated()).replace('"nodes": ["proj", "pred"]', '"nodes": ["proj", "ghost"]');
    expect(await validateFile('ghost.json', ghost)).toEqual({ code: 2, out: [], err: ['siamese-studio: ghost.json: groups[0].nodes[1]: names no node of the document ("ghost")'] });
  });
});
