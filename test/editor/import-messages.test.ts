/** An import's refusal in the editor: its source, where, the message and its code; never the CLI report's "error document:". */
import { describe, expect, it } from 'vitest';
import { readLink } from '../../src/graph/link';
import { importResultOf, readDocumentText } from '../../src/editor/document/io';

describe('import messages', () => {
  it('a damaged link reads "link: the link is damaged: … [bad-link]"', async () => {
    const r = importResultOf(await readLink('https://x.test/#doc=1.AAAA~'), 'link');
    expect(r).toEqual({ ok: false, messages: ['link: the link is damaged: character 11 of its fragment is "~", which base64url does not use [bad-link]'] });
  });

  it('a file\'s problem names the file and the path in it', () => {
    const r = readDocumentText('{"version": 2, "name": 5}', 'x.json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const m of r.messages) {
      expect(m).toMatch(/^x\.json: \S.* \[[a-z-]+\]$/);
      expect(m).not.toContain('error document');
    }
  });
});
