/**
 * The names a piece of the exported script defines at module level, and the
 * clashes between pieces: the fixed part's .py files, the node kinds' helpers
 * (PyEmitter.python) and the graph section share one namespace, where a second
 * `def`/`class`/assignment of a name silently replaces the first.
 */

/** `def name`, `async def name`, `class name`, `NAME =`, `A, B =` and `NAME: T =` at column 0, outside triple-quoted strings; imports are not counted. */
export function topLevelNames(source: string): string[] {
  const names = new Set<string>();
  let openString: string | undefined; // the delimiter of the triple-quoted string a line is in
  for (const line of source.split('\n')) {
    if (!openString) {
      const def = /^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)/.exec(line);
      const assign = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]*)?=(?!=)/.exec(line);
      if (def) names.add(def[1]);
      else if (assign) for (const n of assign[1].split(',')) names.add(n.trim());
    }
    openString = stillOpen(line, openString);
  }
  return [...names];
}

/** Whether a triple-quoted string is open after `line`, given the one open before it. */
function stillOpen(line: string, open: string | undefined): string | undefined {
  let i = 0;
  while (i < line.length) {
    if (open) {
      const end = line.indexOf(open, i);
      if (end < 0) return open;
      i = end + 3;
      open = undefined;
    } else {
      const next = [line.indexOf('"""', i), line.indexOf("'''", i)].filter((k) => k >= 0);
      if (!next.length) return undefined;
      i = Math.min(...next);
      open = line.slice(i, i + 3);
      i += 3;
    }
  }
  return open;
}

export interface ScriptPiece {
  /** Who brings it, for messages: `kind "scale"`, `the script's fixed part (optim.py)`. */
  owner: string;
  source: string;
}

/**
 * The first name two pieces both define, as a one-line message, or undefined.
 * Pieces with the same text (one helper several kinds bring) count once, their owners joined.
 */
export function nameClash(pieces: readonly ScriptPiece[]): string | undefined {
  const owners = new Map<string, string[]>();
  for (const p of pieces) owners.set(p.source, [...(owners.get(p.source) ?? []), p.owner]);
  const definedBy = new Map<string, string>();
  for (const [source, who] of owners) {
    const owner = who.join(' and ');
    for (const name of topLevelNames(source)) {
      const first = definedBy.get(name);
      if (first) return `the Python name ${JSON.stringify(name)} is defined by ${first} and again by ${owner}: the second would silently replace the first`;
      definedBy.set(name, owner);
    }
  }
  return undefined;
}
