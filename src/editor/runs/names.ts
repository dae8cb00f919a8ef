/**
 * Run names: the history numbers a method's runs ("SimSiam #3") and keeps
 * each name its own; the comparison shows the history's names, and gives a
 * name two runs share (renamed alike) the same kind of number.
 */

/**
 * "base #n" for the first n ≥ `from` that no name in `taken` is. `from` 0:
 * `base` itself where it is free, else numbered from 2 (the first is `base`).
 */
export function numberedName(base: string, taken: ReadonlySet<string>, from = 1): string {
  if (from === 0 && !taken.has(base)) return base;
  let n = from === 0 ? 2 : from;
  while (taken.has(`${base} #${n}`)) n++;
  return `${base} #${n}`;
}
