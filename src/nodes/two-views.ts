import type { LocalProblem, PortShape } from '../graph';

/**
 * The decorrelation losses compare the batch statistics of two branches
 * (Barlow Twins' cross-correlation of views A and B, VICReg's Z and Z′):
 * an input of another view count is refused, saying why.
 */
export function twoViewProblems(embeddings: PortShape | undefined, port: string, method: string): LocalProblem[] {
  const views = embeddings?.kind === 'tensor' ? embeddings.dims[0] : undefined;
  if (typeof views !== 'number' || views === 2) return [];
  return views < 2
    ? [{ code: 'too-few-views', port, message: `${method} compares two views' batch statistics: needs 2 views, got ${views}` }]
    : [{ code: 'too-many-views', port, message: `${method} is defined for 2 views (the paper's two branches), got ${views}: give it 2 views, or one loss node per pair` }];
}
