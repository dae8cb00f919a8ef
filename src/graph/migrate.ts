/**
 * Migrations: migrations[v] turns a version-v document into version v+1.
 * Version 1 is the first format, so there are none yet; parseGraph applies
 * them in order before the schema sees the document, and tests inject their own.
 */
export type Migration = (doc: unknown) => unknown;
export type Migrations = Readonly<Record<number, Migration>>;

export const defaultMigrations: Migrations = {};
