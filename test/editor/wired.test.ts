/** A wire dropped in empty space: which kinds can take it, and the node added with its wire as one edit. */
import { describe, expect, it } from 'vitest';
import { addNodeWired, kindsWirableTo, portFacing } from '../../src/editor/document/edits';
import { validate } from '../../src/nodes';
import { template } from '../helpers/docs';

describe('wiring a new node to a dropped wire', () => {
  it('offers only the kinds whose new node takes the wire without an error on it', () => {
    const types = (t: 'simsiam' | 'byol', node: string, port: string, side: 'input' | 'output') => kindsWirableTo(template(t), { node, port, side }).map((k) => k.type);
    expect(types('simsiam', 'proj', 'output', 'output')).toEqual(['projector', 'predictor', 'stop-gradient', 'loss', 'queue', 'info-nce', 'nt-xent', 'barlow-twins', 'vicreg']);
    expect(types('simsiam', 'loss', 'target', 'input')).toEqual(['encoder', 'projector', 'predictor', 'stop-gradient', 'queue']); // a new queue's K×D is not known until it is fed
    expect(types('simsiam', 'data', 'images', 'output')).toEqual(['augment', 'encoder']);
    expect(types('simsiam', 'aug', 'views', 'output')).toEqual(['encoder']); // augment takes one batch 1×B×…, not two views
    expect(types('byol', 'proj', 'weights', 'output')).toEqual(['ema']); // a fresh module is not the projector's architecture
    expect(types('simsiam', 'loss', 'loss', 'output')).toEqual([]);
  });

  it('adds the node and its wire in one edit, to the first port of the right kind', () => {
    const doc = template('simsiam');
    expect(portFacing(doc, 'loss', { node: 'proj', port: 'output', side: 'output' })).toBe('prediction');
    const r = addNodeWired(doc, 'stop-gradient', { x: 10.4, y: 20.6 }, { node: 'proj', port: 'output', side: 'output' });
    if ('refused' in r) throw new Error(r.refused);
    expect(r.id).toBe('stop-gradient');
    expect(r.doc.nodes.at(-1)).toMatchObject({ id: 'stop-gradient', type: 'stop-gradient', position: { x: 10, y: 21 } });
    expect(r.doc.edges.length).toBe(doc.edges.length + 1);
    expect(r.doc.edges.at(-1)).toMatchObject({ from: { node: 'proj', port: 'output' }, to: { node: 'stop-gradient', port: 'input' } });
    expect(validate(r.doc).problems.filter((p) => p.severity === 'error')).toEqual([]);
    const back = addNodeWired(doc, 'predictor', { x: 0, y: 0 }, { node: 'loss', port: 'target', side: 'input' });
    if ('refused' in back) throw new Error(back.refused);
    // Feeding an input replaces the wire it had (sg → loss.target).
    expect(back.doc.edges.filter((e) => e.to.node === 'loss' && e.to.port === 'target')).toMatchObject([{ from: { node: 'predictor', port: 'output' } }]);
  });

  it('says why a kind cannot take the wire, and changes nothing', () => {
    const doc = template('simsiam');
    expect(addNodeWired(doc, 'dataset', { x: 0, y: 0 }, { node: 'proj', port: 'output', side: 'output' })).toEqual({ refused: 'Dataset has no input of kind features' });
    expect(addNodeWired(doc, 'augment', { x: 0, y: 0 }, { node: 'aug', port: 'views', side: 'output' })).toEqual({ refused: expect.stringContaining('takes one batch of images') });
  });
});
