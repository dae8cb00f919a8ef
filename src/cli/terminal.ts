import { shownText } from '../graph';

/**
 * The one encoder for text on its way to a terminal: the graph layer's
 * shownText (see src/graph/shown-text.ts for which characters and why), keeping
 * only the line feed between lines. \uXXXX is also a JSON escape of the same
 * character, so JSON lines pass through unchanged in meaning.
 */
export function terminalSafe(text: string): string {
  return shownText(text, 'newline');
}
