/**
 * The embedding view's points as CSV: one row per probe image, in the probe
 * set's order — its 2-D coordinates, its class by name (the dataset's class
 * names: a person reads "Sneaker", not 7) and the class's index. Through the
 * one CSV writer (csvText), so a class name a spreadsheet would run as a
 * formula (an image folder named "=cmd…") stays text.
 */
import { csvText } from './compare/csv';

export const EMBEDDING_CSV_HEADER = ['x', 'y', 'label', 'labelIndex'] as const;

/** points: N×2 row-major; labels: each image's class index; classNames: the names by index (an index past them has none). */
export function embeddingCsv(points: ArrayLike<number>, labels: ArrayLike<number>, classNames: readonly string[]): string {
  const n = Math.min(labels.length, Math.floor(points.length / 2));
  const rows = Array.from({ length: n }, (_, i) => [points[2 * i], points[2 * i + 1], classNames[labels[i]] ?? '', labels[i]]);
  return csvText(EMBEDDING_CSV_HEADER, rows);
}
