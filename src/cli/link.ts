import { parseArgs } from 'node:util';
import { parseGraph, type Problem } from '../graph';
import { DEFAULT_LINK_BASE, encodeLink, MAX_LINK_CHARS, readLinkText } from '../graph/link';
import { CliError, type Io } from './io';
import { readDocumentText } from './read';

const USAGE = `usage: siamese-studio link GRAPH.json [--base URL]   (default base ${DEFAULT_LINK_BASE})`;

/** link GRAPH.json [--base URL]: prints the editor's link holding the document; exit 0, or 2 for what is not a graph document. */
export async function linkCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { base: { type: 'string', default: DEFAULT_LINK_BASE } } });
  } catch (e) {
    throw new CliError(`link: ${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.positionals.length !== 1) throw new CliError(USAGE);
  const [file] = parsed.positionals;
  const base = parsed.values.base;
  if (!isLinkArgument(base) || base.includes('#')) throw new CliError(`link: --base must be an address like ${DEFAULT_LINK_BASE} without a #fragment, got ${JSON.stringify(base)}`);
  const doc = parseGraph(await readDocumentText(file));
  if (!doc.ok) throw new CliError(`${file}: ${doc.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const link = await encodeLink(doc.doc, base);
  const fragment = link.url.length - base.length - 1;
  if (fragment > MAX_LINK_CHARS) throw new CliError(`${file}: its link's fragment would be ${fragment} characters; a link holds at most ${MAX_LINK_CHARS}`);
  io.out(link.url);
  return 0;
}

/** An argument that is an address (`scheme://…`), not a file name. */
export const isLinkArgument = (arg: string) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(arg);

/** A link that holds no readable document: its problems (bad-link, too-large, …), one line each as `link: …`. */
export class LinkRefused extends CliError {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `link: ${p.message}`).join('; '));
  }
}

/** The text `validate` reads: a file's, or the document a link (`scheme://…#doc=1.…`) holds. */
export async function readDocumentOrLink(arg: string): Promise<string> {
  if (!isLinkArgument(arg)) return readDocumentText(arg);
  const r = await readLinkText(arg);
  if (!r.ok) throw new LinkRefused(r.errors);
  return r.text;
}
