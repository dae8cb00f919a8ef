/** The editor's document edits, in Node: each is a pure GraphDoc → GraphDoc. */
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { catalog, validate } from '../../src/nodes';
import { addNode, connect, copyNodes, emptyDocument, freshId, moveNodes, pasteClip, readClip, removeNodes } from '../../src/editor/document/edits';
import { template } from '../helpers/docs';

describe('document edits', () => {
  it('adds a node with its kind\'s defaults and a fresh id, leaving the input untouched', () => {
    const doc = template('simsiam');
    const before = serializeGraph(doc);
    const a = addNode(doc, 'encoder', { x: 10.4, y: 20.6 });
    const b = addNode(a.doc, 'encoder', { x: 0, y: 0 });
    expect([a.id, b.id]).toEqual(['encoder', 'encoder-2']);
    expect(b.doc.nodes.at(-1)!.params).toEqual(catalog.get('encoder')!.defaults());
    expect(a.doc.nodes.at(-1)!.position).toEqual({ x: 10, y: 21 });
    expect(serializeGraph(doc)).toBe(before);
    expect(() => addNode(doc, 'nope', { x: 0, y: 0 })).toThrow('no node kind "nope"');
    expect(freshId('a', new Set(['a', 'a-2']))).toBe('a-3');
  });

  it('removes nodes with every wire that touches them', () => {
    const doc = removeNodes(template('byol'), ['pred', 'sg']);
    expect(doc.nodes.map((n) => n.id)).not.toContain('pred');
    expect(doc.edges.map((e) => e.id).sort()).toEqual(['e1', 'e2', 'e3', 'e6', 'e7', 'w1', 'w2', 'w3', 'w4']);
  });

  it('connect refuses what the validator refuses, with its message, and changes nothing', () => {
    const doc = template('simsiam');
    const kinds = connect(doc, { node: 'proj', port: 'output' }, { node: 'aug', port: 'input' });
    expect(kinds).toEqual({ refused: expect.stringMatching(/^features → images: incompatible kinds/) });
    const cycle = connect(doc, { node: 'proj', port: 'output' }, { node: 'proj', port: 'input' });
    expect(cycle).toEqual({ refused: 'cycle: "proj" → "proj"' });
    const shape = connect(doc, { node: 'enc', port: 'output' }, { node: 'loss', port: 'target' });
    expect(shape).toEqual({ refused: 'prediction is 2×B×128 but target is 2×B×256: they must match' });
    expect(connect(doc, { node: 'data', port: 'images' }, { node: 'aug', port: 'input' })).toEqual({ refused: 'these ports are already wired' });
  });

  it('connect replaces the wire into an occupied input', () => {
    const doc = template('simsiam');
    const r = connect(doc, { node: 'proj', port: 'output' }, { node: 'loss', port: 'target' }); // bypass the stop-gradient
    if ('refused' in r) throw new Error(r.refused);
    expect(r.doc.edges.filter((e) => e.to.node === 'loss' && e.to.port === 'target')).toEqual([{ id: r.id, from: { node: 'proj', port: 'output' }, to: { node: 'loss', port: 'target' } }]);
    expect(validate(r.doc).problems.map((p) => p.code)).toContain('collapse-no-stop-gradient');
  });

  it('copy/paste keeps the wires among the copied nodes only, with fresh ids; a clip survives the clipboard as text', () => {
    const doc = template('simsiam');
    const clip = readClip(JSON.stringify(copyNodes(doc, ['enc', 'proj', 'pred'])))!;
    expect(clip.edges.map((e) => e.id)).toEqual(['e3', 'e4']);
    const r = pasteClip(doc, clip, { x: 40, y: 40 });
    expect(r.ids).toEqual(['enc-2', 'proj-2', 'pred-2']);
    expect(r.doc.edges.slice(-2).map((e) => `${e.from.node}→${e.to.node}`)).toEqual(['enc-2→proj-2', 'proj-2→pred-2']);
    expect(new Set(r.doc.edges.map((e) => e.id)).size).toBe(r.doc.edges.length);
    const enc = doc.nodes.find((n) => n.id === 'enc')!.position;
    expect(r.doc.nodes.find((n) => n.id === 'enc-2')!.position).toEqual({ x: enc.x + 40, y: enc.y + 40 });
    expect(readClip('{"format":"siamese-studio.clip","nodes":[{"id":"<bad id>"}],"edges":[]}')).toBeUndefined();
    expect(readClip('not json')).toBeUndefined();
  });

  it('moves nodes to rounded positions; an empty document is valid structure with no nodes', () => {
    const doc = moveNodes(template('simsiam'), new Map([['enc', { x: 1.6, y: -2.2 }]]));
    expect(doc.nodes.find((n) => n.id === 'enc')!.position).toEqual({ x: 2, y: -2 });
    const empty = emptyDocument();
    expect(empty.nodes).toEqual([]);
    expect(validate(empty).problems.map((p) => p.code)).toEqual(['no-loss']);
  });
});
