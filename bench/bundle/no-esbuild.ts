/**
 * Stands in for esbuild inside the portable bench (bench/bundle/build.ts):
 * the runtime bundles tfjs's gradients with esbuild on first use, and the
 * bundle ships that file built, so this is never called unless it is missing.
 */
export function buildSync(): never {
  throw new Error('this bench bundle has no esbuild: its prebuilt tfjs gradients (node_modules/.cache/siamese-studio) are missing; rebuild it with `npm run bench:bundle`');
}
