/**
 * A collapsed group's nodes cannot be seen, so they cannot be selected, and
 * Delete (or any removal through the store) never takes them: collapsing
 * deselects them, select-all and box-select skip them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { selectableNodes, updateGroup, addGroup } from '../../src/editor/document/annotations';
import type { GraphDoc } from '../../src/graph';
import { useDocumentStore } from '../../src/editor/stores/document';
import { template } from '../helpers/docs';

describe('selecting and deleting with a collapsed group', () => {
  beforeEach(() => { setActivePinia(createPinia()); });

  it('selectableNodes: known, shown, each once', () => {
    const g = addGroup(template('simsiam'), ['proj', 'pred']) as { doc: GraphDoc };
    const folded = updateGroup(g.doc, 'group', { collapsed: true });
    expect(selectableNodes(folded, ['enc', 'proj', 'nope', 'enc', 'pred', 'loss'])).toEqual(['enc', 'loss']);
    expect(selectableNodes(g.doc, ['enc', 'proj', 'pred'])).toEqual(['enc', 'proj', 'pred']);
  });

  it('collapsing deselects the hidden nodes; Delete then removes nothing; select-all skips them', () => {
    const store = useDocumentStore();
    store.loadTemplate('simsiam');
    store.select(['enc', 'proj']);
    expect(store.addGroup([...store.selection])).toBe(undefined);
    const edges = store.doc.edges.length;
    store.updateGroup('group', { collapsed: true });
    expect(store.selection).toEqual([]);
    store.removeNodes(['enc', 'proj']);
    expect(store.doc.nodes.map((n) => n.id)).toContain('enc');
    expect(store.doc.nodes.map((n) => n.id)).toContain('proj');
    expect(store.doc.edges.length).toBe(edges);
    store.select(store.doc.nodes.map((n) => n.id));
    expect(store.selection).toEqual(store.doc.nodes.map((n) => n.id).filter((id) => id !== 'enc' && id !== 'proj'));
    // Undo back to the open group: its nodes can be selected again (the old selection is not brought back hidden).
    store.undo();
    expect(store.doc.groups?.[0].collapsed).toBe(undefined);
    store.select(['enc']);
    expect(store.selection).toEqual(['enc']);
  });
});
