/**
 * Whether a URL's fragment holds a document (link.ts's `#doc=…`), apart from
 * the codec: the editor asks this of every page it opens, and loads the codec
 * only when the answer is yes (or a link is made).
 */

/** What starts a link's fragment (after `#`): `doc=`, the encoding's version, a dot. */
export const LINK_KEY = 'doc=';

/** A link's fragment without `#`, when it holds a document (`doc=…`); undefined for any other text. */
export function linkFragment(url: string): string | undefined {
  const hash = url.indexOf('#');
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  return fragment.startsWith(LINK_KEY) ? fragment : undefined;
}
