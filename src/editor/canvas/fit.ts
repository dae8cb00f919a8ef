/**
 * Where Fit puts the graph: the largest zoom (at most 1) that shows all of
 * it, but never below `minZoom` (where node titles are still legible). A
 * graph too wide for that keeps `minZoom`, fits vertically and starts at its
 * left end: the rest is a sideways scroll away. The minimap's corner is left
 * free: the graph goes either above the minimap (across the full width) or to
 * its left (the full height, only when the whole graph fits there).
 * Pure geometry: tested in Node.
 */
export interface Box { left: number; top: number; right: number; bottom: number }
export interface Size { width: number; height: number }
export interface Transform { x: number; y: number; k: number }

export interface FitOptions {
  minZoom: number;
  maxZoom: number;
  /** Free space kept around the graph, in screen pixels. */
  pad: number;
  /** The minimap in the bottom-right corner, `margin` from both edges; undefined when hidden. */
  minimap?: Size & { margin: number };
}

export function fitTransform(graph: Box, view: Size, o: FitOptions): Transform {
  const mm = o.minimap;
  const regions: (Size & { wholeOnly: boolean })[] = mm
    ? [
      { width: view.width, height: view.height - mm.height - mm.margin, wholeOnly: false },
      { width: view.width - mm.width - mm.margin, height: view.height, wholeOnly: true },
    ]
    : [{ ...view, wholeOnly: false }];
  const w = Math.max(graph.right - graph.left, 1);
  const h = Math.max(graph.bottom - graph.top, 1);
  let best: Transform | undefined;
  for (const r of regions) {
    const inner = { width: r.width - 2 * o.pad, height: r.height - 2 * o.pad };
    const whole = Math.min(inner.width / w, inner.height / h, o.maxZoom);
    if (whole < o.minZoom && r.wholeOnly) continue;
    const k = Math.max(whole, o.minZoom);
    const x = k * w <= inner.width ? o.pad + (inner.width - k * w) / 2 - graph.left * k : o.pad - graph.left * k;
    const y = k * h <= inner.height ? o.pad + (inner.height - k * h) / 2 - graph.top * k : o.pad - graph.top * k;
    if (!best || k > best.k) best = { x, y, k };
  }
  return best!;
}
