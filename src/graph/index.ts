/** The document layer: format, parsing, validation. Imports no Vue, no Rete, no tfjs. */
export * from './algorithms';
export * from './annotations';
export * from './kinds';
export * from './never';
export * from './params';
export * from './parse';
export * from './problems';
export * from './schema';
export * from './serialize';
export * from './shown-text';
export * from './trained';
export * from './training';
export * from './validate';
export type { Migration, Migrations } from './migrate';
