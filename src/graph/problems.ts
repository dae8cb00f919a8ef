/**
 * Problems: every error and warning the parser and the validator report.
 * Each one says what (a stable `code`), where (a JSON path into the document,
 * plus node / port / param / edge ids where they apply) and why (a sentence).
 */

export type Severity = 'error' | 'warning';

/** Stable codes: tests, the CLI's --json output and the editor key on them. */
export type ProblemCode =
  // the text or value is not a graph document at all (CLI exit 2)
  | 'not-json'
  | 'too-large'
  | 'too-deep'
  | 'forbidden-key'
  | 'wrong-format'
  | 'newer-version'
  | 'bad-version'
  | 'migration-failed'
  | 'structure'
  // a link whose fragment holds no readable document (src/graph/link.ts)
  | 'bad-link'
  // a bug in the parser, not a verdict on the input (parseGraph still never throws)
  | 'internal-error'
  // a readable document with errors (CLI exit 1)
  | 'duplicate-id'
  | 'duplicate-edge-id'
  | 'unknown-type'
  | 'param-out-of-range'
  | 'param-invalid'
  | 'missing-node'
  | 'unknown-port'
  | 'wrong-direction'
  | 'incompatible-kinds'
  | 'multiple-inputs'
  | 'cycle'
  | 'unconnected-input'
  | 'shape-mismatch'
  | 'too-few-views'
  | 'too-many-views'
  | 'ema-architecture'
  | 'ema-target-gradient'
  | 'no-loss'
  | 'no-trainable'
  // a contrastive loss against a memory of keys (MoCo)
  | 'key-side-gradient'
  | 'memory-not-fed-by-keys'
  | 'queue-shorter-than-batch'
  // warnings: training is allowed, and may be the experiment
  | 'collapse-no-stop-gradient'
  | 'collapse-no-predictor'
  // a decorrelation loss without the term that keeps it from collapsing
  | 'collapse-no-redundancy-reduction'
  | 'collapse-no-variance';

export interface Problem {
  severity: Severity;
  code: ProblemCode;
  /** JSON path into the document, e.g. `nodes[3].params.tauBase`; `` for the whole document. */
  path: string;
  message: string;
  node?: string;
  port?: string;
  param?: string;
  edge?: string;
  /** The node ids involved, for problems that span several (a cycle). */
  nodes?: string[];
}

/** `nodes[3].params.tau` from `['nodes', 3, 'params', 'tau']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** A short, safe rendering of any value for messages (never 1 MB of it). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** One line for people: `error nodes[3].params.tau (node "ema"): must be … [param-out-of-range]`. */
export function formatProblem(p: Problem): string {
  const where: string[] = [];
  if (p.node !== undefined) where.push(`node "${p.node}"`);
  if (p.port !== undefined) where.push(`port "${p.port}"`);
  if (p.edge !== undefined) where.push(`edge "${p.edge}"`);
  const at = (p.path || 'document') + (where.length ? ` (${where.join(', ')})` : '');
  return `${p.severity} ${at}: ${p.message} [${p.code}]`;
}

/**
 * One short line for the editor, naming what it is about as the CLI's path
 * does: `pred: params.hiddenDim must be an integer between 1 and 65536, got -5`,
 * `loss.target: prediction is … they must match`, `training.batchSize: must be …`.
 */
export function problemLine(p: Problem): string {
  const subject = p.node !== undefined ? `${p.node}${p.port !== undefined ? `.${p.port}` : ''}: ` : p.path ? `${p.path}: ` : '';
  const param = /^nodes\[\d+\]\.(params\b.*)$/.exec(p.path)?.[1];
  return `${subject}${param ? `${param} ` : ''}${p.message}`;
}

export const errorsOf = (ps: readonly Problem[]) => ps.filter((p) => p.severity === 'error');
export const warningsOf = (ps: readonly Problem[]) => ps.filter((p) => p.severity === 'warning');
