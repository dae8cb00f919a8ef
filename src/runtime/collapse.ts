/**
 * The one collapse rule (docs/semantics.md), used by the CLI, the dashboard and the
 * report: collapsed when the std of the l2-normalized projector output falls
 * under 0.1/√d, or its effective rank under d/10. No tfjs here, so the page
 * can use it without loading tfjs.
 */
export function isCollapsed(std: number, rank: number | undefined, dim: number): boolean {
  return std < 0.1 / Math.sqrt(dim) || (rank !== undefined && rank < dim / 10);
}

/**
 * Why a run looks like it collapses, or undefined when it does not. The rank
 * of a batch of B rows is at most B − 1: with B − 1 < d/10 the rank test
 * cannot pass, and the reason says so.
 */
export function collapseReason(std: number, rank: number | undefined, dim: number, batch?: number): string | undefined {
  if (std < 0.1 / Math.sqrt(dim)) return `std ${std.toFixed(4)} < 0.1/√d = ${(0.1 / Math.sqrt(dim)).toFixed(4)}`;
  if (rank !== undefined && rank < dim / 10) {
    const capped = batch !== undefined && batch - 1 < dim / 10 ? ` — but a batch of ${batch} caps the rank at ${batch - 1}: train with a batch above ${Math.ceil(dim / 10) + 1} for this test to mean something` : '';
    return `effective rank ${rank.toFixed(1)} < d/10 = ${(dim / 10).toFixed(1)}${capped}`;
  }
  return undefined;
}
