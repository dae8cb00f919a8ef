/**
 * Every shortcut the editor binds, in one table: App.vue's key handler runs
 * the `key` entries that match, the shortcut overlay (`?`) lists every entry.
 * Copy and paste arrive as the browser's clipboard events, and the mouse
 * gestures are the canvas's; they are here so that the overlay lists them.
 */
export type ShortcutAction =
  | 'delete' | 'undo' | 'redo' | 'selectAll' | 'selectNone' | 'export' | 'copyLink' | 'fit' | 'minimap' | 'shortcuts' | 'addNote' | 'group';

export type Shortcut =
  | { via: 'key'; keys: string; does: string; action: ShortcutAction; matches(e: KeyboardEvent): boolean }
  | { via: 'clipboard' | 'mouse'; keys: string; does: string };

const mod = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
const plain = (e: KeyboardEvent) => !mod(e) && !e.altKey;
const letter = (e: KeyboardEvent, l: string) => e.key.toLowerCase() === l;

export const shortcuts: readonly Shortcut[] = [
  { via: 'key', keys: 'Delete / Backspace', does: 'delete the selected nodes (with their wires)', action: 'delete', matches: (e) => plain(e) && (e.key === 'Delete' || e.key === 'Backspace') },
  { via: 'key', keys: 'Ctrl+Z', does: 'undo (a paste, a multi-delete, an auto-arrange, a template load: one step each)', action: 'undo', matches: (e) => mod(e) && !e.shiftKey && letter(e, 'z') },
  { via: 'key', keys: 'Ctrl+Shift+Z / Ctrl+Y', does: 'redo', action: 'redo', matches: (e) => mod(e) && ((e.shiftKey && letter(e, 'z')) || letter(e, 'y')) },
  { via: 'clipboard', keys: 'Ctrl+C, Ctrl+V', does: 'copy / paste the selected nodes with the wires among them (pasting a document\'s text imports it)' },
  { via: 'key', keys: 'Ctrl+A', does: 'select all', action: 'selectAll', matches: (e) => mod(e) && letter(e, 'a') },
  { via: 'key', keys: 'Escape', does: 'select none; close the shortcut list or node search', action: 'selectNone', matches: (e) => e.key === 'Escape' },
  { via: 'key', keys: 'Ctrl+S', does: 'export the document', action: 'export', matches: (e) => mod(e) && letter(e, 's') },
  { via: 'key', keys: 'L', does: 'copy a link that holds the graph (opening it shows the same graph)', action: 'copyLink', matches: (e) => plain(e) && letter(e, 'l') },
  { via: 'key', keys: 'F', does: 'fit the graph in view', action: 'fit', matches: (e) => plain(e) && letter(e, 'f') },
  { via: 'key', keys: 'M', does: 'show or hide the minimap', action: 'minimap', matches: (e) => plain(e) && letter(e, 'm') },
  { via: 'key', keys: 'N', does: 'add a note at the pointer (also: right-click the canvas)', action: 'addNote', matches: (e) => plain(e) && letter(e, 'n') },
  { via: 'key', keys: 'G', does: 'group the selected nodes: a titled frame that moves them together; ▾ collapses it to its title', action: 'group', matches: (e) => plain(e) && letter(e, 'g') },
  { via: 'key', keys: '?', does: 'show or hide the list of every shortcut', action: 'shortcuts', matches: (e) => !mod(e) && e.key === '?' },
  { via: 'mouse', keys: 'Shift+click, Shift+drag', does: 'add to the selection, box select' },
  { via: 'mouse', keys: 'Double-click the canvas', does: 'search the node kinds and add one at the pointer (also: right-click)' },
  { via: 'mouse', keys: 'Drag a wire into empty space', does: 'search the kinds that can take it; the one picked is added there, wired' },
];

/** The key entry a keydown triggers, if any. */
export const shortcutFor = (e: KeyboardEvent) =>
  shortcuts.find((s): s is Extract<Shortcut, { via: 'key' }> => s.via === 'key' && s.matches(e));
