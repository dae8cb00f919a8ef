/** The context menu stays inside the window: flipped above the pointer, shifted, or scrolling within the window's height. */
import { describe, expect, it } from 'vitest';
import { EDGE, placePopup } from '../../src/editor/canvas/menu-place';

const win = { width: 1280, height: 720 };

describe('placePopup', () => {
  it('leaves a menu that fits where it is', () => {
    expect(placePopup({ left: 300, top: 100, width: 180, height: 429 }, win)).toEqual({ dx: 0, dy: 0, maxHeight: undefined });
  });
  it('flips a 429 px menu opened at y=600 of 720 above the pointer', () => {
    const p = placePopup({ left: 300, top: 590, width: 180, height: 429 }, win);
    expect(p).toEqual({ dx: 0, dy: -429, maxHeight: undefined });
    expect(590 + p.dy).toBeGreaterThanOrEqual(EDGE);
  });
  it('shifts it against the bottom edge where neither below nor above has room', () => {
    const p = placePopup({ left: 300, top: 300, width: 180, height: 429 }, win);
    expect(300 + p.dy + 429).toBe(720 - EDGE);
  });
  it('a menu taller than the window gets its height, from the top edge', () => {
    const p = placePopup({ left: 300, top: 400, width: 180, height: 2000 }, win);
    expect(p.maxHeight).toBe(720 - 2 * EDGE);
    expect(400 + p.dy).toBe(EDGE);
  });
  it('flips left at the right edge', () => {
    expect(placePopup({ left: 1200, top: 100, width: 180, height: 100 }, win).dx).toBe(-180);
  });
});
