/** The first of `base`, `base-2`, `base-3`, … that `taken` lacks (node, note and group ids alike). */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}
