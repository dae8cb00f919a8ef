/**
 * A comparison's overlay as uPlot columns: x is every step any run logged
 * the metric at, one column per run (null where that run has no value
 * there), then the reference line (1/√d, d/10) as a constant column.
 */
import type { Overlay } from '../../runtime/compare/runs';

export interface OverlayColumns {
  x: number[];
  /** One per run, in the overlay's order, then the reference where the overlay has one. */
  ys: (number | null)[][];
}

/** `scale` multiplies the values (kNN top-1 is shown in %). */
export function overlayColumns(overlay: Overlay, scale = 1): OverlayColumns {
  const x = [...new Set(overlay.series.flatMap((s) => s.points.map(([step]) => step)))].sort((a, b) => a - b);
  const at = new Map(x.map((step, i) => [step, i]));
  const ys = overlay.series.map((s) => {
    const col: (number | null)[] = x.map(() => null);
    for (const [step, v] of s.points) col[at.get(step)!] = scale * v;
    return col;
  });
  if (overlay.reference) ys.push(x.map(() => scale * overlay.reference!.y));
  return { x, ys };
}

/** The steps the comparison's charts all span: the first step any run logged anything at to the last (every chart's x axis ends there). */
export function stepRange(overlays: Overlay[]): [number, number] | undefined {
  const steps = overlays.flatMap((o) => o.series.flatMap((s) => s.points.map(([step]) => step)));
  return steps.length ? [Math.min(...steps), Math.max(...steps)] : undefined;
}
