/**
 * Migrations: migrations[v] turns a version-v document into version v+1.
 * parseGraph applies them in order before the schema sees the document, and
 * tests inject their own.
 */
export type Migration = (doc: unknown) => unknown;
export type Migrations = Readonly<Record<number, Migration>>;

/**
 * v1 → v2: v2 added the canvas's `notes` and `groups` (optional, absent when
 * empty), so a v1 document is a v2 one as it stands. v1 had no such keys: one
 * that carries them was never a v1 document, and is refused rather than read as v2.
 */
function v1ToV2(doc: unknown): unknown {
  const record = doc as Record<string, unknown>;
  for (const key of ['notes', 'groups']) {
    if (Object.prototype.hasOwnProperty.call(record, key)) throw new Error(`a version 1 document has no "${key}" (they came with version 2)`);
  }
  return { ...record, version: 2 };
}

export const defaultMigrations: Migrations = { 1: v1ToV2 };
