/**
 * Share by link in the browser: the link that holds the current document
 * (src/graph/link.ts, the CLI's codec), shown in the address bar while it is
 * the graph on screen, and the document a page was opened with.
 */
import type { GraphDoc } from '../graph';
import type { EncodedLink } from '../graph/link';
import { linkFragment } from '../graph/link-fragment';
import { importResultOf, type ImportResult } from './document/io';

/** Where a link opens the editor: this page without its query (test hooks) or fragment. */
const linkBase = () => `${location.origin}${location.pathname}`;

export type Link = EncodedLink & { tooLong: boolean };

/** The codec (deflate, base64url, the refusals): loaded with the first link made or opened. */
const codec = () => import('../graph/link');

export async function linkTo(doc: GraphDoc): Promise<Link> {
  const { encodeLink, MAX_LINK_CHARS } = await codec();
  const link = await encodeLink(doc, linkBase());
  return { ...link, tooLong: link.url.length - linkBase().length - 1 > MAX_LINK_CHARS };
}

/** "1,234 characters: the 6.1 kB document deflated to 1.3 kB" (what the Copy link toast says). */
export function linkSize(link: EncodedLink): string {
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  return `${link.url.length.toLocaleString('en')} characters: the ${kB(link.documentBytes)} document deflated to ${kB(link.compressedBytes)}`;
}

/** The document this page's fragment holds, read as a file is ("link: …" messages); undefined without #doc=. */
export async function documentInLocation(): Promise<ImportResult | undefined> {
  if (linkFragment(location.hash) === undefined) return undefined;
  const { readLink } = await codec();
  return importResultOf(await readLink(location.hash), 'link');
}

/** Shows the link in the address bar (no navigation, no history entry). */
export const showLinkInLocation = (link: EncodedLink) =>
  history.replaceState(history.state, '', `${location.pathname}${location.search}${link.url.slice(link.url.indexOf('#'))}`);

/** Drops a #doc= fragment from the address bar, so that a reload does not open the link over later work. */
export function clearLinkFromLocation(): void {
  if (linkFragment(location.hash) !== undefined) history.replaceState(history.state, '', `${location.pathname}${location.search}`);
}
