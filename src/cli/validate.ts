import { parseArgs } from 'node:util';
import { errorsOf, formatProblem, parseGraph, warningsOf, type GraphDoc, type Problem } from '../graph';
import { validate } from '../nodes';
import { CliError, type Io } from './io';
import { isLinkArgument, LinkRefused, readDocumentOrLink } from './link';

/** validate GRAPH.json|URL [--json]: exit 0 valid, 1 invalid, 2 not readable as a graph document (for a link: the one it holds). */
export async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(args);
  if (positionals.length !== 1) throw new CliError('usage: siamese-studio validate GRAPH.json|URL [--json]');
  const file = positionals[0];
  // A link is named so in messages: its URL may be thousands of characters.
  const name = isLinkArgument(file) ? 'link' : file;
  const report = (readable: boolean, problems: Problem[]) => {
    if (values.json) {
      const migratedFrom = parsed?.ok ? parsed.migratedFrom : undefined;
      io.out(JSON.stringify({ file, readable, valid: readable && errorsOf(problems).length === 0, ...(migratedFrom ? { migratedFrom } : {}), errors: errorsOf(problems), warnings: warningsOf(problems) }));
    }
  };

  let parsed: ReturnType<typeof parseGraph> | undefined;
  let text: string;
  try {
    text = await readDocumentOrLink(file);
  } catch (e) {
    if (!(e instanceof CliError) || !values.json) throw e;
    report(false, e instanceof LinkRefused ? e.problems : [{ severity: 'error', code: 'not-json', path: '', message: e.message }]);
    return 2;
  }
  parsed = parseGraph(text);
  // Values out of range (in training as in a node's params) make a graph document invalid (1), not unreadable (2).
  if (!parsed.ok && !onlyValuesOutOfRange(parsed.errors)) {
    report(false, parsed.errors);
    if (!values.json) {
      for (const p of parsed.errors) io.err(`siamese-studio: ${name}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
    }
    return 2;
  }
  const { problems } = parsed.ok ? validate(parsed.doc) : { problems: parsed.errors };
  report(true, problems);
  const errors = errorsOf(problems);
  if (!values.json) {
    const warnings = warningsOf(problems);
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const summary = errors.length
      ? `invalid: ${count(errors.length, 'error')}${warnings.length ? `, ${count(warnings.length, 'warning')}` : ''}`
      : `valid${warnings.length ? ` with ${count(warnings.length, 'warning')}` : ''}`;
    const size = parsed.ok ? ` (${contents(parsed.doc, count)}${parsed.migratedFrom ? `; format v${parsed.migratedFrom}, read as v${parsed.doc.version}` : ''})` : '';
    io.out(`${name}: ${summary}${size}`);
    for (const p of [...errors, ...warnings]) io.out(`  ${formatProblem(p)}`);
  }
  return errors.length ? 1 : 0;
}

/** `7 nodes, 7 edges`, and the notes and groups where there are some. */
function contents(doc: GraphDoc, count: (n: number, what: string) => string): string {
  const notes = doc.notes?.length ?? 0;
  const groups = doc.groups?.length ?? 0;
  return [count(doc.nodes.length, 'node'), count(doc.edges.length, 'edge'), ...(notes ? [count(notes, 'note')] : []), ...(groups ? [count(groups, 'group')] : [])].join(', ');
}

/** Parse errors that are all values out of range: the document is a graph document, an invalid one. */
export function onlyValuesOutOfRange(errors: readonly Problem[]): boolean {
  return errors.length > 0 && errors.every((p) => p.code === 'param-out-of-range');
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  } catch (e) {
    throw new CliError(`validate: ${(e as Error).message}`);
  }
}
