/**
 * DocText.vue's element built without Vue, for views drawn as plain DOM (the
 * canvas's nodes): the same pieces of the one encoder (shownPieces), the same
 * classes (DocText.vue's global style), text set as text only.
 */
import { shownPieces, type KeptLayout } from '../../graph';

export const ESCAPE_TITLE = 'a control or invisible character, shown as its code';

export function docTextElement(text: string, keep: KeptLayout = 'none'): HTMLElement {
  const bdi = document.createElement('bdi');
  bdi.className = 'doc-text';
  for (const piece of shownPieces(text, keep)) {
    if (!piece.escaped) { bdi.append(piece.text); continue; }
    const escape = document.createElement('span');
    escape.className = 'doc-text-escape';
    escape.dataset.testid = 'text-escape';
    escape.title = ESCAPE_TITLE;
    escape.textContent = piece.text;
    bdi.append(escape);
  }
  return bdi;
}
