/**
 * Where a popup opened at the pointer goes so that it stays inside the window:
 * below and right of the pointer where it fits, flipped above (or left of) it
 * where it does not, else shifted against the window's edge; taller than the
 * window, it gets the window's height and scrolls inside itself.
 */
export interface Rect { left: number; top: number; width: number; height: number }

/** Gap kept between the popup and the window's edge (px). */
export const EDGE = 8;

/** One axis: the popup's start where it fits, given where it starts now (at the pointer), its size and the window's. */
function along(start: number, size: number, room: number): number {
  if (start + size <= room - EDGE) return start;
  if (start - size >= EDGE) return start - size; // flipped: it ends at the pointer
  return Math.max(EDGE, room - EDGE - size);
}

/** The shift to apply to the popup, and its largest height (undefined: no limit needed). */
export function placePopup(rect: Rect, window: { width: number; height: number }): { dx: number; dy: number; maxHeight?: number } {
  const maxHeight = rect.height > window.height - 2 * EDGE ? window.height - 2 * EDGE : undefined;
  const height = maxHeight ?? rect.height;
  return { dx: along(rect.left, rect.width, window.width) - rect.left, dy: along(rect.top, height, window.height) - rect.top, maxHeight };
}
