/** Fit's geometry: legible titles first, the minimap's corner free, a wide graph scrolled from its left end. */
import { describe, expect, it } from 'vitest';
import { fitTransform, type Box, type Transform } from '../../src/editor/canvas/fit';

const minimap = { width: 180, height: 60, margin: 8 };
const options = { minZoom: 0.55, maxZoom: 1, pad: 24, minimap };
const onScreen = (g: Box, t: Transform) => ({ left: g.left * t.k + t.x, top: g.top * t.k + t.y, right: g.right * t.k + t.x, bottom: g.bottom * t.k + t.y });

describe('fitTransform', () => {
  it('shows a graph that fits whole, centred, at the largest zoom that keeps the minimap corner free', () => {
    const graph = { left: 0, top: 0, right: 1000, bottom: 400 };
    const t = fitTransform(graph, { width: 1370, height: 912 }, options);
    // Above the minimap: width (1370 − 48) / 1000 = 1.322, height (912 − 68 − 48) / 400 = 1.99: capped at maxZoom 1.
    expect(t.k).toBe(1);
    const s = onScreen(graph, t);
    expect(s.left).toBeCloseTo((1370 - 1000) / 2, 9);
    expect(s.top).toBeCloseTo((912 - 68 - 400) / 2, 9);
    expect(s.bottom).toBeLessThanOrEqual(912 - 68);
  });

  it('puts a tall graph left of the minimap when that gives the larger zoom', () => {
    const graph = { left: -100, top: -50, right: 300, bottom: 1350 };
    const t = fitTransform(graph, { width: 1000, height: 800 }, options);
    // 800 px high: neither region shows it whole at 0.55 or more ((800 − 48) / 1400 = 0.537), so minZoom.
    expect(t.k).toBe(0.55);
    // 1200 px high: above the minimap (1200 − 68 − 48) / 1400 = 0.774; beside it the full height, 0.823.
    const wide = fitTransform(graph, { width: 1000, height: 1200 }, options);
    expect(wide.k).toBeCloseTo((1200 - 48) / 1400, 12); // full height, beside the minimap
    const s = onScreen(graph, wide);
    expect(s.right).toBeLessThanOrEqual(1000 - 188);
    expect(s.top).toBeCloseTo(24, 9);
  });

  it('never zooms below minZoom: a too-wide graph fits vertically above the minimap and starts at its left end', () => {
    const graph = { left: 40, top: 10, right: 2100, bottom: 690 }; // BYOL's size
    const t = fitTransform(graph, { width: 730, height: 523 }, options);
    expect(t.k).toBe(0.55);
    const s = onScreen(graph, t);
    expect(s.left).toBeCloseTo(24, 9);
    expect(s.right).toBeGreaterThan(730);
    expect(s.bottom).toBeLessThanOrEqual(523 - 68);
    expect(s.top).toBeGreaterThanOrEqual(0);
  });

  it('uses the whole view when the minimap is hidden', () => {
    const graph = { left: 0, top: 0, right: 2000, bottom: 800 };
    const t = fitTransform(graph, { width: 2048, height: 1200 }, { ...options, minimap: undefined });
    expect(t.k).toBeCloseTo(2000 / 2000, 12);
    expect(onScreen(graph, t).left).toBeCloseTo(24, 9);
  });
});
