/**
 * The inspector's forms, generated from zod schemas — a node kind's params,
 * the document's training settings: through their JSON Schema
 * (z.toJSONSchema) into a list of fields, each with its path into the value,
 * its range and its current value. Pure: tested in Node.
 */
import { z } from 'zod';
import type { NodeKind } from '../../nodes';

export type Path = (string | number)[];
interface Base { path: Path; name: string; label: string }
export type Field =
  | (Base & { type: 'number'; value: unknown; min?: number; max?: number; integer: boolean })
  | (Base & { type: 'numbers'; value: unknown; min?: number; max?: number; integer: boolean })
  | (Base & { type: 'select'; value: unknown; options: (string | number)[]; /** It picks a union's variant (encoder arch, optimizer type). */ variant?: true })
  | (Base & { type: 'boolean'; value: unknown })
  | (Base & { type: 'text'; value: unknown })
  | (Base & { type: 'group'; fields: Field[] });

type Schema = Record<string, any>;

const schemas = new WeakMap<z.ZodType, Schema>();
const schemaOf = (zod: z.ZodType): Schema => {
  if (!schemas.has(zod)) schemas.set(zod, z.toJSONSchema(zod, { io: 'input', unrepresentable: 'any' }) as Schema);
  return schemas.get(zod)!;
};

/** "cropScale" → "crop scale", "views.1" → "view 2". */
function humanize(key: string | number): string {
  return typeof key === 'number' ? String(key + 1) : key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/P$/, ' p').toLowerCase();
}

const constOf = (s: Schema): string | number | undefined => s.const ?? (Array.isArray(s.enum) && s.enum.length === 1 ? s.enum[0] : undefined);

export function paramFields(kind: NodeKind<any>, params: unknown): Field[] {
  return schemaFields(kind.params, params);
}

/** The fields of any object schema (the document's `training` block too). */
export function schemaFields(zod: z.ZodType, value: unknown): Field[] {
  return objectFields(schemaOf(zod), value, []);
}

function objectFields(schema: Schema, value: unknown, path: Path): Field[] {
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  if (Array.isArray(schema.oneOf)) {
    // A discriminated union (encoder arch, dataset source): the discriminator is a select, then the chosen variant's fields.
    const variants = schema.oneOf as Schema[];
    const key = Object.keys(variants[0].properties ?? {}).find((k) => variants.every((v) => constOf(v.properties?.[k] ?? {}) !== undefined));
    if (!key) return [];
    const chosen = variants.find((v) => constOf(v.properties[key]) === record[key]) ?? variants[0];
    return [
      { type: 'select', path: [...path, key], name: nameOf([...path, key]), label: humanize(key), value: record[key], options: variants.map((v) => constOf(v.properties[key])!), variant: true },
      ...objectFields({ ...chosen, properties: Object.fromEntries(Object.entries(chosen.properties).filter(([k]) => k !== key)) }, value, path),
    ];
  }
  return Object.entries((schema.properties ?? {}) as Record<string, Schema>).flatMap(([key, s]) => field(s, record[key] ?? s.default, [...path, key], key));
}

function field(s: Schema, value: unknown, path: Path, key: string | number): Field[] {
  const base = { path, name: nameOf(path), label: humanize(key) };
  const options = s.enum ?? (Array.isArray(s.anyOf) && s.anyOf.every((o: Schema) => constOf(o) !== undefined) ? s.anyOf.map(constOf) : undefined);
  if (options) return [{ ...base, type: 'select', value, options }];
  if (s.type === 'boolean') return [{ ...base, type: 'boolean', value }];
  if (s.type === 'number' || s.type === 'integer') return [{ ...base, type: 'number', value, min: s.minimum, max: s.maximum, integer: s.type === 'integer' }];
  if (s.type === 'array') {
    const item: Schema = s.prefixItems?.[0] ?? s.items ?? {};
    if (item.type === 'number' || item.type === 'integer') return [{ ...base, type: 'numbers', value, min: item.minimum, max: item.maximum, integer: item.type === 'integer' }];
    if (item.type === 'object' && Array.isArray(value)) {
      // Per-item settings, e.g. augment's views: one group per item.
      return value.map((v, i) => ({ type: 'group' as const, path: [...path, i], name: nameOf([...path, i]), label: `${humanize(String(key)).replace(/s$/, '')} ${i + 1}`, fields: objectFields(item, v, [...path, i]) }));
    }
  }
  if (s.type === 'object' || Array.isArray(s.oneOf)) return [{ ...base, type: 'group', fields: objectFields(s, value, path) }];
  return [{ ...base, type: 'text', value }];
}

const nameOf = (path: Path) => path.join('.');

/** The fields inside groups too, in order. */
export const leafFields = (fields: Field[]): Field[] => fields.flatMap((f) => (f.type === 'group' ? leafFields(f.fields) : [f]));

/** A copy of `params` with the value at `path` replaced. */
export function setAt(params: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(params) ? [...params] : { ...(params as object) };
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

/** Reads what the user typed into a field, or says why it cannot be read. */
export function readInput(f: Field, raw: string | boolean): { value: unknown } | { error: string } {
  if (f.type === 'boolean') return { value: Boolean(raw) };
  const text = String(raw).trim();
  if (f.type === 'select') {
    const hit = f.options.find((o) => String(o) === text);
    return hit === undefined ? { error: `must be one of ${f.options.join(', ')}` } : { value: hit };
  }
  if (f.type === 'number') {
    const n = Number(text);
    return text === '' || !Number.isFinite(n) ? { error: 'must be a number' } : { value: n };
  }
  if (f.type === 'numbers') {
    const parts = text.split(/[\s,]+/).filter(Boolean).map(Number);
    return parts.length === 0 || parts.some((n) => !Number.isFinite(n)) ? { error: 'must be numbers separated by commas' } : { value: parts };
  }
  return { value: text };
}

/**
 * Checks new params against the kind's schema. Returns the params to store,
 * or the first message per field path ("views.0.flipP" → "must be between 0 and 1").
 */
export function checkParams(kind: NodeKind<any>, params: unknown): { ok: true; params: unknown } | { ok: false; errors: Map<string, string> } {
  return checkValue(kind.params, params);
}

/** checkParams for any schema. */
function checkValue(zod: z.ZodType, params: unknown): { ok: true; params: unknown } | { ok: false; errors: Map<string, string> } {
  const r = zod.safeParse(params);
  if (r.success) return { ok: true, params: r.data };
  const errors = new Map<string, string>();
  for (const issue of r.error.issues) {
    const name = issue.path.filter((p) => typeof p !== 'symbol').join('.');
    if (!errors.has(name)) errors.set(name, issue.message);
  }
  return { ok: false, errors };
}

/** Params after switching a discriminated union to another variant: that variant's defaults. */
export function variantDefaults(kind: NodeKind<any>, key: string, value: unknown): unknown {
  return switchVariant(kind.params, kind.defaults(), [key], value);
}

/**
 * `value` after its union at `path` (the discriminator's path, e.g.
 * optimizer.type) switched to `choice`: the rest as it was, that union
 * holding the new variant's defaults. Undefined if the schema refuses it.
 */
function switchVariant(zod: z.ZodType, value: unknown, path: Path, choice: unknown): unknown {
  const at = path.slice(0, -1);
  const r = zod.safeParse(at.length ? setAt(value, at, { [path.at(-1)!]: choice }) : { [path.at(-1)!]: choice });
  return r.success ? r.data : undefined;
}

/**
 * One edit of a generated form: what the user typed read, set at the field's
 * path, checked against the schema (a variant switch starts from that
 * variant's defaults). Either the value to store or the errors per field.
 */
export function editValue(zod: z.ZodType, base: unknown, f: Field, raw: string | boolean): { ok: true; value: unknown } | { ok: false; errors: Map<string, string>; draft?: unknown } {
  const read = readInput(f, raw);
  if ('error' in read) return { ok: false, errors: new Map([[f.name, read.error]]) };
  let next = setAt(base, f.path, read.value);
  if (f.type === 'select' && f.variant && !checkValue(zod, next).ok) next = switchVariant(zod, base, f.path, read.value) ?? next;
  const checked = checkValue(zod, next);
  return checked.ok ? { ok: true, value: checked.params } : { ok: false, errors: checked.errors, draft: next };
}
