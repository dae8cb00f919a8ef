/**
 * parseGraph: text or a value in, a GraphDoc or a list of problems out. It
 * never throws: a file picker, a paste or a CLI argument can hand it anything.
 */
import { annotationProblems } from './annotations';
import { problemsFromIssues } from './issues';
import { defaultMigrations, type Migrations } from './migrate';
import type { Problem, ProblemCode } from './problems';
import { CURRENT_VERSION, FORMAT, GraphDocSchema, type GraphDoc } from './schema';

export type ParseResult =
  | { ok: true; doc: GraphDoc; /** the version the input had, when it was migrated */ migratedFrom?: number }
  | { ok: false; errors: Problem[] };

/** A graph document is a few hundred kB at most; refuse what cannot be one before parsing it. */
export const MAX_DOCUMENT_CHARS = 5_000_000;
/** Deep enough for any real document, shallow enough that no walk overflows the stack. */
export const MAX_DEPTH = 64;

export interface ParseOptions {
  migrations?: Migrations;
  currentVersion?: number;
}

const fail = (code: ProblemCode, message: string, path = ''): ParseResult => ({
  ok: false,
  errors: [{ severity: 'error', code, path, message }],
});

export function parseGraph(input: string | unknown, options: ParseOptions = {}): ParseResult {
  try {
    return parseUnsafe(input, options);
  } catch (e) {
    // Every known failure is reported above; this is the last line of "never throws", and a bug when reached.
    return fail('internal-error', `could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseUnsafe(input: unknown, options: ParseOptions): ParseResult {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > MAX_DOCUMENT_CHARS) {
      return fail('too-large', `is ${input.length} characters; a graph document has at most ${MAX_DOCUMENT_CHARS}`);
    }
    try {
      value = JSON.parse(input);
    } catch (e) {
      return fail('not-json', `not valid JSON: ${jsonErrorMessage(e, input)}`);
    }
  }
  const unsafe = checkShape(value);
  if (unsafe) return { ok: false, errors: [unsafe] };

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('wrong-format', `not a Siamese Studio graph: expected a JSON object with "format": "${FORMAT}"`);
  }
  const record = value as Record<string, unknown>;
  const format = own(record, 'format');
  if (format !== FORMAT) {
    return fail(
      'wrong-format',
      format === undefined
        ? `not a Siamese Studio graph: it has no "format" (expected "${FORMAT}")`
        : `not a Siamese Studio graph: "format" is ${JSON.stringify(format).slice(0, 80)}, expected "${FORMAT}"`,
      'format',
    );
  }
  const current = options.currentVersion ?? CURRENT_VERSION;
  const migrations = options.migrations ?? defaultMigrations;
  const oldest = Math.min(current, ...Object.keys(migrations).map(Number));
  const version = own(record, 'version');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < oldest) {
    return fail('bad-version', `"version" must be an integer from ${oldest} to ${current}, got ${JSON.stringify(version) ?? 'nothing'}`, 'version');
  }
  if (version > current) {
    return fail(
      'newer-version',
      `this document is format version ${version}, newer than this Siamese Studio understands (${current}); update Siamese Studio to open it`,
      'version',
    );
  }
  let migrated: unknown = record;
  for (let v = version; v < current; v++) {
    const step = migrations[v];
    if (!step) return fail('migration-failed', `no migration from version ${v} to ${v + 1}`, 'version');
    try {
      migrated = step(migrated);
    } catch (e) {
      return fail('migration-failed', `migrating from version ${v} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const parsed = GraphDocSchema.safeParse(migrated);
  if (!parsed.success) {
    // A training setting out of range is a bad value, as a node param out of range is, not a broken structure.
    const code = (issue: (typeof parsed.error.issues)[number]): ProblemCode =>
      issue.path[0] === 'training' && (issue.code === 'too_big' || issue.code === 'too_small') ? 'param-out-of-range' : 'structure';
    return { ok: false, errors: problemsFromIssues(parsed.error.issues, migrated, [], code) };
  }
  const references = annotationProblems(parsed.data);
  if (references.length) return { ok: false, errors: references };
  return version < current ? { ok: true, doc: parsed.data, migratedFrom: version } : { ok: true, doc: parsed.data };
}

const own = (o: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** At most this many values in one document (bounds the walk below for values that share parts). */
const MAX_VALUES = 2_000_000;

/**
 * Walks the value without recursion: refuses nesting deeper than MAX_DEPTH
 * (cyclic values end here too), too many values, values JSON cannot hold (a
 * document handed over as an object need not come from JSON text), and keys
 * that would touch prototypes.
 */
function checkShape(root: unknown): Problem | undefined {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: root, depth: 0, path: '' }];
  let count = 0;
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (++count > MAX_VALUES) {
      return { severity: 'error', code: 'too-large', path: '', message: `holds more than ${MAX_VALUES} values; a graph document is far smaller` };
    }
    if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') {
      return { severity: 'error', code: 'not-json', path, message: `holds a ${typeof v}, which JSON cannot: a graph document is JSON data` };
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      return { severity: 'error', code: 'too-deep', path, message: `nested deeper than ${MAX_DEPTH} levels` };
    }
    for (const key of Object.keys(v)) {
      const childPath = Array.isArray(v) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        return { severity: 'error', code: 'forbidden-key', path: childPath, message: `the key "${key}" is not allowed in a graph document` };
      }
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}

/** V8 says "at position N"; people want a line and a column. */
function jsonErrorMessage(e: unknown, text: string): string {
  const raw = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(raw);
  const pos = m ? Number(m[1]) : /end of JSON input/i.test(raw) ? text.length : -1;
  const truncated = /end of JSON input/i.test(raw) || (pos >= text.trimEnd().length && text.trim().length > 0);
  const reason = truncated ? 'the text ends too early (truncated?)' : raw.replace(/^Unexpected/, 'unexpected').replace(/ in JSON at position \d+.*$/, '');
  if (pos < 0) return reason;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${reason.slice(0, 200)} at line ${line}, column ${column}`;
}
