/**
 * The document store: the one source of truth. Everything the editor shows is
 * derived from `doc`; the Rete canvas is a projection of it. Every edit goes
 * through `commit`, which makes it one undo step.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { canonicalJson, serializeGraph, TrainingSchema, type GraphDoc, type PortRef } from '../../graph';
import { validate } from '../../nodes';
import * as notes from '../document/annotations';
import * as edits from '../document/edits';
import { editValue, type Field } from '../document/param-fields';
import { templates } from '../templates';

interface Snapshot { doc: GraphDoc; selection: string[] }
export interface Viewport { x: number; y: number; k: number }

/** Undo reaches this far back; older steps are dropped. */
const HISTORY_LIMIT = 200;

export const useDocumentStore = defineStore('document', () => {
  const doc = shallowRef<GraphDoc>(structuredClone(templates.find((t) => t.key === 'simsiam')?.doc ?? templates[0].doc));
  const validation = computed(() => validate(doc.value));
  const selection = ref<string[]>([]);
  const viewport = ref<Viewport | undefined>();
  const undoStack = shallowRef<Snapshot[]>([]);
  const redoStack = shallowRef<Snapshot[]>([]);
  /** The document's file text (serializeGraph), once per document: the unsaved check, autosave and runs share it. */
  const text = computed(() => serializeGraph(doc.value));
  /** The document as last loaded or exported: work since then is "unsaved". */
  const baseline = ref(text.value);
  const dirty = computed(() => text.value !== baseline.value);

  const snapshot = (): Snapshot => ({ doc: doc.value, selection: [...selection.value] });
  function restore(s: Snapshot) {
    doc.value = s.doc;
    // Collapsing a group deselects its nodes: Delete, Ctrl+C act on what is seen.
    selection.value = notes.selectableNodes(s.doc, s.selection);
  }

  /** Makes `next` the document, as one undo step. */
  function commit(next: GraphDoc, select?: string[]) {
    if (next === doc.value) return;
    undoStack.value = [...undoStack.value.slice(-HISTORY_LIMIT + 1), snapshot()];
    redoStack.value = [];
    restore({ doc: next, selection: select ?? selection.value });
  }
  /** Undo and redo: the top of one stack becomes the document, the current one goes onto the other. */
  function travel(from: typeof undoStack, to: typeof undoStack) {
    const target = from.value.at(-1);
    if (!target) return;
    to.value = [...to.value, snapshot()];
    from.value = from.value.slice(0, -1);
    restore(target);
  }
  const undo = () => travel(undoStack, redoStack);
  const redo = () => travel(redoStack, undoStack);

  /** Replaces the whole document (template, import, New): one undo step; the new one counts as saved. */
  function replace(next: GraphDoc) {
    commit(next, []);
    baseline.value = text.value;
  }

  return {
    doc, text, validation, selection, viewport, dirty,
    canUndo: computed(() => undoStack.value.length > 0),
    canRedo: computed(() => redoStack.value.length > 0),
    commit, undo, redo, replace,
    /** Restores autosaved state: not an undo step. */
    restoreSession(saved: GraphDoc, savedSelection: string[], savedViewport: Viewport | undefined, savedBaseline: string) {
      restore({ doc: saved, selection: savedSelection });
      viewport.value = savedViewport;
      baseline.value = savedBaseline;
    },
    baseline,
    markSaved() { baseline.value = text.value; },
    loadTemplate(key: string) {
      const entry = templates.find((t) => t.key === key);
      if (!entry) throw new Error(`no template "${key}"`);
      replace(structuredClone(entry.doc));
    },
    newDocument() { replace(edits.emptyDocument()); },
    select(ids: string[]) { selection.value = notes.selectableNodes(doc.value, ids); },
    addNode(type: string, at: edits.Position) {
      const r = edits.addNode(doc.value, type, at);
      commit(r.doc, [r.id]);
      return r.id;
    },
    /** Adds a node wired to the end of a dropped wire (one undo step), or returns why the validator refuses it. */
    addNodeWired(type: string, at: edits.Position, end: edits.WireEnd): string | undefined {
      const r = edits.addNodeWired(doc.value, type, at, end);
      if ('refused' in r) return r.refused;
      commit(r.doc, [r.id]);
      return undefined;
    },
    /** Removes the nodes the canvas shows of `ids`: never one a collapsed group hides. */
    removeNodes(ids: string[]) {
      const shown = notes.selectableNodes(doc.value, ids);
      if (shown.length) commit(edits.removeNodes(doc.value, shown), []);
    },
    removeEdges(ids: string[]) { if (ids.length) commit(edits.removeEdges(doc.value, ids)); },
    moveNodes(positions: ReadonlyMap<string, edits.Position>) {
      const moved = [...positions].some(([id, p]) => { const n = doc.value.nodes.find((x) => x.id === id); return n && (Math.round(p.x) !== n.position.x || Math.round(p.y) !== n.position.y); });
      if (moved) commit(edits.moveNodes(doc.value, positions));
    },
    /** Wires two ports, or returns why the validator refuses the wire (the document is left as it is). */
    connect(from: PortRef, to: PortRef): string | undefined {
      const r = edits.connect(doc.value, from, to);
      if ('refused' in r) return r.refused;
      commit(r.doc);
      return undefined;
    },
    updateNode(id: string, patch: Parameters<typeof edits.updateNode>[2]) { commit(edits.updateNode(doc.value, id, patch)); },
    /**
     * One edit of the document's `training` block from a field of its generated
     * form (the Training panel, the Train strip): checked against the schema,
     * one undo step; a refused value changes nothing and says why.
     */
    editTraining(field: Field, raw: string | boolean, base: unknown = doc.value.training): ReturnType<typeof editValue> {
      const r = editValue(TrainingSchema, base, field, raw);
      if (r.ok && canonicalJson(r.value) !== canonicalJson(doc.value.training)) {
        commit({ ...doc.value, training: r.value as GraphDoc['training'] });
      }
      return r;
    },
    // The canvas's notes and groups (format v2): each edit one undo step, as a node's is.
    addNote(at: edits.Position) {
      const r = notes.addNote(doc.value, at);
      commit(r.doc, []);
      return r.id;
    },
    updateNote(id: string, patch: Parameters<typeof notes.updateNote>[2]) { commit(notes.updateNote(doc.value, id, patch)); },
    removeNote(id: string) { commit(notes.removeNote(doc.value, id)); },
    /** Groups the nodes, or returns why not. */
    addGroup(ids: string[]): string | undefined {
      const r = notes.addGroup(doc.value, ids);
      if ('refused' in r) return r.refused;
      commit(r.doc);
      return undefined;
    },
    updateGroup(id: string, patch: Parameters<typeof notes.updateGroup>[2]) { commit(notes.updateGroup(doc.value, id, patch)); },
    moveGroup(id: string, by: edits.Position) { commit(notes.moveGroup(doc.value, id, by)); },
    removeGroup(id: string) { commit(notes.removeGroup(doc.value, id)); },
    copy: (ids: string[]) => edits.copyNodes(doc.value, ids),
    paste(clip: edits.Clip, offset: edits.Position) {
      const r = edits.pasteClip(doc.value, clip, offset);
      commit(r.doc, r.ids);
    },
  };
});
