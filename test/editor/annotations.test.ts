/** The canvas's notes and groups as pure edits: each gives a document the parser takes back, canonical. */
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph, trainedKey, type GraphDoc } from '../../src/graph';
import { addGroup, addNote, foldedWireEnds, groupFrame, GROUP_PAD, GROUP_TITLE, hiddenNodes, moveGroup, removeGroup, removeNote, ungroupNodes, updateGroup, updateNote } from '../../src/editor/document/annotations';
import { removeNodes } from '../../src/editor/document/edits';
import { template } from '../helpers/docs';

/** The edit's document, checked to be one parseGraph reads back as it is. */
function canonical(doc: GraphDoc): GraphDoc {
  const r = parseGraph(serializeGraph(doc));
  if (!r.ok) throw new Error(r.errors.map((p) => `${p.path}: ${p.message}`).join('; '));
  expect(r.doc).toEqual(doc);
  return doc;
}

describe('notes', () => {
  it('add, edit, move and delete: fresh ids, rounded positions, no list left empty', () => {
    const start = template('simsiam');
    const a = addNote(start, { x: 10.4, y: -3.6 });
    expect(a.id).toBe('note');
    const b = addNote(a.doc, { x: 0, y: 0 }, 'second');
    expect(b.id).toBe('note-2');
    const edited = canonical(updateNote(b.doc, 'note', { text: 'why a predictor?\n(SimSiam §4)', position: { x: 99.5, y: 7 } }));
    expect(edited.notes).toEqual([
      { id: 'note', text: 'why a predictor?\n(SimSiam §4)', position: { x: 100, y: 7 } },
      { id: 'note-2', text: 'second', position: { x: 0, y: 0 } },
    ]);
    const none = removeNote(removeNote(edited, 'note'), 'note-2');
    expect('notes' in none && none.notes).toBe(undefined);
    expect(serializeGraph(none)).toBe(serializeGraph(start));
    expect(trainedKey(edited)).toBe(trainedKey(start));
  });

  it('an edit that changes nothing gives back the same document (no empty undo step)', () => {
    const { doc } = addNote(template('simsiam'), { x: 0, y: 0 }, 'x');
    expect(updateNote(doc, 'note', { text: 'x' })).toBe(doc);
    const grouped = addGroup(doc, ['proj']) as { doc: GraphDoc };
    expect(updateGroup(grouped.doc, 'group', { title: 'Group' })).toBe(grouped.doc);
  });
});

describe('groups', () => {
  it('groups nodes, taking them out of their old group (an emptied group goes); refuses an empty selection', () => {
    const start = template('simsiam');
    expect(addGroup(start, [])).toEqual({ refused: 'select the nodes to group first' });
    expect(addGroup(start, ['ghost'])).toEqual({ refused: 'select the nodes to group first' });
    const first = addGroup(start, ['proj', 'pred', 'proj', 'ghost']);
    if ('refused' in first) throw new Error(first.refused);
    expect(canonical(first.doc).groups).toEqual([{ id: 'group', title: 'Group', nodes: ['proj', 'pred'] }]);
    const second = addGroup(first.doc, ['pred', 'enc']);
    if ('refused' in second) throw new Error(second.refused);
    expect(canonical(second.doc).groups).toEqual([{ id: 'group', title: 'Group', nodes: ['proj'] }, { id: 'group-2', title: 'Group', nodes: ['pred', 'enc'] }]);
    const third = addGroup(second.doc, ['proj']);
    if ('refused' in third) throw new Error(third.refused);
    expect(canonical(third.doc).groups).toEqual([{ id: 'group-2', title: 'Group', nodes: ['pred', 'enc'] }, { id: 'group-3', title: 'Group', nodes: ['proj'] }]);
  });

  it('rename and collapse; "collapsed" is absent while open', () => {
    const g = addGroup(template('simsiam'), ['proj', 'pred']) as { doc: GraphDoc };
    const folded = canonical(updateGroup(updateGroup(g.doc, 'group', { title: 'heads' }), 'group', { collapsed: true }));
    expect(folded.groups).toEqual([{ id: 'group', title: 'heads', collapsed: true, nodes: ['proj', 'pred'] }]);
    expect([...hiddenNodes(folded)]).toEqual(['proj', 'pred']);
    const open = canonical(updateGroup(folded, 'group', { collapsed: false }));
    expect(open.groups).toEqual([{ id: 'group', title: 'heads', nodes: ['proj', 'pred'] }]);
    expect(hiddenNodes(open).size).toBe(0);
  });

  it('moving a group moves exactly its nodes; removing it keeps them', () => {
    const start = template('simsiam');
    const g = addGroup(start, ['proj', 'pred']) as { doc: GraphDoc };
    const moved = canonical(moveGroup(g.doc, 'group', { x: 100.2, y: -40 }));
    for (const n of start.nodes) {
      const after = moved.nodes.find((m) => m.id === n.id)!.position;
      const by = ['proj', 'pred'].includes(n.id) ? { x: 100, y: -40 } : { x: 0, y: 0 };
      expect(after, n.id).toEqual({ x: Math.round(n.position.x + by.x), y: Math.round(n.position.y + by.y) });
    }
    expect(moveGroup(g.doc, 'group', { x: 0.2, y: -0.3 })).toBe(g.doc);
    expect(trainedKey(moved)).toBe(trainedKey(start));
    const gone = canonical(removeGroup(moved, 'group'));
    expect(gone.groups).toBe(undefined);
    expect(gone.nodes).toEqual(moved.nodes);
  });

  it('deleting nodes takes them out of their groups, and a group left empty goes (the document still parses)', () => {
    const g = addGroup(template('simsiam'), ['proj', 'pred']) as { doc: GraphDoc };
    expect(canonical(removeNodes(g.doc, ['pred'])).groups).toEqual([{ id: 'group', title: 'Group', nodes: ['proj'] }]);
    expect(canonical(removeNodes(g.doc, ['pred', 'proj'])).groups).toBe(undefined);
    expect(ungroupNodes(template('simsiam'), ['proj']).groups).toBe(undefined);
  });

  it('its frame surrounds its nodes with the title bar above; collapsed, the title bar alone', () => {
    const g = addGroup(template('simsiam'), ['proj', 'pred']) as { doc: GraphDoc };
    const [proj, pred] = ['proj', 'pred'].map((id) => g.doc.nodes.find((n) => n.id === id)!.position);
    const size = { width: 240, height: 100 };
    const frame = groupFrame(g.doc, g.doc.groups![0], () => size);
    expect(frame).toEqual({
      left: Math.min(proj.x, pred.x) - GROUP_PAD,
      top: Math.min(proj.y, pred.y) - GROUP_PAD - GROUP_TITLE,
      width: Math.max(proj.x, pred.x) + 240 - Math.min(proj.x, pred.x) + 2 * GROUP_PAD,
      height: Math.max(proj.y, pred.y) + 100 - Math.min(proj.y, pred.y) + 2 * GROUP_PAD + GROUP_TITLE,
    });
    const folded = updateGroup(g.doc, 'group', { collapsed: true });
    expect(groupFrame(folded, folded.groups![0], () => size)).toEqual({ ...frame, height: GROUP_TITLE });
  });

  it('a collapsed group\'s wires end on its title bar: in at the left edge, out at the right, as offsets from each hidden node', () => {
    const g = addGroup(template('simsiam'), ['enc', 'proj']) as { doc: GraphDoc };
    const size = () => ({ width: 240, height: 100 });
    expect(foldedWireEnds(g.doc, size).size).toBe(0);
    const folded = updateGroup(g.doc, 'group', { collapsed: true });
    const frame = groupFrame(folded, folded.groups![0], size);
    const ends = foldedWireEnds(folded, size);
    expect([...ends.keys()]).toEqual(['enc', 'proj']);
    for (const id of ['enc', 'proj']) {
      const at = folded.nodes.find((n) => n.id === id)!.position;
      const e = ends.get(id)!;
      expect(e.group).toBe('group');
      expect({ x: at.x + e.input.x, y: at.y + e.input.y }).toEqual({ x: frame.left, y: frame.top + GROUP_TITLE / 2 });
      expect({ x: at.x + e.output.x, y: at.y + e.output.y }).toEqual({ x: frame.left + frame.width, y: frame.top + GROUP_TITLE / 2 });
    }
  });
});
