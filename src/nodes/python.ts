/**
 * Python source from document text, for the PyTorch exporter: the one encoder
 * through which anything from a document (ids, labels, names, description,
 * params) reaches an exported script, and the names ids map to.
 */

/**
 * A Python string literal whose value is exactly `s` (lone surrogates
 * included), in printable ASCII only: `"` delimits it; `"`, `\`, tab, LF and
 * CR become \", \\, \t, \n, \r, and every other code point outside 0x20–0x7e
 * \xNN, \uNNNN or \UNNNNNNNN. So it has no line break, no unescaped quote
 * inside and no backslash that does not start an escape: safe in an
 * expression, a `#` comment, and a raw docstring.
 */
export function pyStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const short = SHORT_ESCAPES.get(ch);
    if (short) out += short;
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c < 0x100) out += `\\x${hex(c, 2)}`;
    else if (c < 0x10000) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return `${out}"`;
}

const SHORT_ESCAPES = new Map([['"', '\\"'], ['\\', '\\\\'], ['\t', '\\t'], ['\n', '\\n'], ['\r', '\\r']]);
const hex = (c: number, digits: number) => c.toString(16).padStart(digits, '0');

/** A Python literal of a JSON-like value; dict keys sorted, so equal values give equal text. */
export function py(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return pyStr(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`no Python literal for the number ${value}`);
      return Object.is(value, -0) ? '-0.0' : String(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'object': {
      if (value === null) return 'None';
      if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
      const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${pyStr(k)}: ${py(v)}`).join(', ')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new Error(`no Python literal for a ${typeof value}`);
  }
}

/**
 * The Graph attribute of a module node: `n_` + the id with [A-Za-z0-9] kept,
 * `_` doubled and any other code point as `_x<hex>_`. Injective (a `_` is
 * always followed by `_` or `x`, so it decodes) and total; the prefix keeps it
 * clear of keywords, nn.Module's members (none starts with `n_`) and name
 * mangling (never `__…`), and it is plain ASCII (no NFKC folding).
 */
export function moduleAttribute(id: string): string {
  let name = 'n_';
  for (const ch of id) name += /[A-Za-z0-9]/.test(ch) ? ch : ch === '_' ? '__' : `_x${ch.codePointAt(0)!.toString(16)}_`;
  return name;
}
