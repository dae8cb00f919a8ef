/**
 * Autosave: the document, viewport and selection go to IndexedDB a moment
 * after every change, and come back on the next load. The document is stored
 * as its serialized text and read back through the parser, like any file.
 */
import { createStore, get, set } from 'idb-keyval';
import type { Viewport } from '../stores/document';

export interface Session {
  doc: string;
  /** The document as last loaded or exported, to know what is unsaved. */
  baseline: string;
  selection: string[];
  viewport?: Viewport;
  savedAt: string;
}

const KEY = 'session';
const store = () => createStore('siamese-studio', 'autosave');

export const loadSession = (): Promise<Session | undefined> => get<Session>(KEY, store());

/** A writer that keeps only the latest of rapid changes and writes it after `delayMs` of quiet. */
export function debouncedSaver(delayMs: number, onSaved: (ok: boolean, error?: unknown) => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: Session | undefined;
  const flush = async () => {
    timer = undefined;
    const session = pending;
    pending = undefined;
    if (!session) return;
    try {
      await set(KEY, session, store());
      onSaved(true);
    } catch (e) {
      onSaved(false, e);
    }
  };
  return {
    save(session: Session) {
      pending = session;
      clearTimeout(timer);
      timer = setTimeout(flush, delayMs);
    },
    flush,
  };
}
