/**
 * The one collapse rule (docs/semantics.md), used by the CLI, the dashboard and the
 * report: collapsed when the std of the l2-normalized projector output falls
 * under 0.1/√d, or its effective rank (on the probe set: probe.ts) under d/10. No tfjs here, so the page
 * can use it without loading tfjs.
 */
export function isCollapsed(std: number, rank: number | undefined, dim: number): boolean {
  return std < 0.1 / Math.sqrt(dim) || (rank !== undefined && rank < dim / 10);
}

/**
 * Why a run looks like it collapses, or undefined when it does not. The rank
 * is the probe set's (runtime/probe.ts), so the training batch size does not
 * bound it.
 */
export function collapseReason(std: number, rank: number | undefined, dim: number): string | undefined {
  if (std < 0.1 / Math.sqrt(dim)) return `std ${std.toFixed(4)} < 0.1/√d = ${(0.1 / Math.sqrt(dim)).toFixed(4)}`;
  if (rank !== undefined && rank < dim / 10) return `effective rank ${rank.toFixed(1)} < d/10 = ${(dim / 10).toFixed(1)} (on the 512-image probe set)`;
  return undefined;
}
