/**
 * The one encoder for text on its way to a terminal. A document's name,
 * labels and quoted values can hold control characters: ESC and BEL retitle
 * or clear a terminal, CR overwrites a line, C1 codes (U+009B is CSI) act as
 * ESC sequences in some terminals, bidi overrides make text read backwards.
 * Each becomes a visible \uXXXX escape; only the line feed between lines is
 * kept. \uXXXX is also a JSON escape of the same character, so JSON lines
 * pass through unchanged in meaning.
 */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
