/** Turns zod's issues into Problems with a JSON path and a sentence for people. */
import type { z } from 'zod';
import { describeValue, formatPath, type Problem, type ProblemCode } from './problems';

/** The value at `path` inside `root`, reading own properties only. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const list = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** The sentence for one issue; `input` is what was parsed, to say what was got. */
function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return got === undefined ? 'is required' : `must be ${article(issue.expected)}, got ${describeValue(got)}`;
    case 'too_big':
    case 'too_small': {
      const custom = issue.message.startsWith('must') ? issue.message : defaultBound(issue);
      const count = typeof got === 'string' || Array.isArray(got);
      return count ? `${custom} (has ${(got as string | unknown[]).length})` : `${custom}, got ${describeValue(got)}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, got ${describeValue(got)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${list(issue.values)}, got ${describeValue(got)}`
        : `must be one of ${list(issue.values)}, got ${describeValue(got)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${list(issue.keys)}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options) && issue.options.length) {
        return `must be one of ${list(issue.options)}, got ${describeValue(got)}`;
      }
      return `is not a valid value (got ${describeValue(got)})`;
    case 'invalid_format':
      return issue.message.startsWith('must') ? `${issue.message}, got ${describeValue(got)}` : `has the wrong format, got ${describeValue(got)}`;
    default:
      return issue.message;
  }
}

function defaultBound(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const isBig = issue.code === 'too_big';
  const bound = String(isBig ? issue.maximum : issue.minimum);
  const op = isBig ? (issue.inclusive ? '≤' : '<') : issue.inclusive ? '≥' : '>';
  return `must be ${op} ${bound}`;
}

function article(expected: string): string {
  const noun = expected === 'record' ? 'object' : expected;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/**
 * Problems from a zod error. `prefix` is the path of the parsed value inside
 * the document (e.g. `['nodes', 3, 'params']`), `input` the value itself.
 */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[],
  code: (issue: z.core.$ZodIssue) => ProblemCode,
  extra: (issue: z.core.$ZodIssue) => Partial<Problem> = () => ({}),
): Problem[] {
  return issues.map((issue) => ({
    severity: 'error',
    code: code(issue),
    path: formatPath([...prefix, ...issue.path]),
    message: issueMessage(issue, input),
    ...extra(issue),
  }));
}
