/**
 * Text from a document reaches the terminal only through terminalSafe:
 * control characters, C1 codes and bidi overrides become visible \uXXXX
 * escapes in validate's and train's output, human or JSON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { terminalSafe } from '../../src/cli/terminal';
import { cli, writeFashionMnistLike } from '../helpers/cli';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-terminal-'));
/** Every character a terminal acts on: C0 but the line feed, DEL, C1, bidi marks and overrides, line and paragraph separators. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const EVIL = 'evil\x1b]0;pwned\x07\x1b[2J\r\x9b2J\u202e\u2028\x7f';
const SHOWN = 'evil\\u001b]0;pwned\\u0007\\u001b[2J\\u000d\\u009b2J\\u202e\\u2028\\u007f';

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('terminalSafe', () => {
  it('shows every control character as a visible escape and keeps line feeds and ordinary text', () => {
    expect(terminalSafe(EVIL)).toBe(SHOWN);
    expect(terminalSafe('a\nb ü → 漢 \\')).toBe('a\nb ü → 漢 \\');
    const all = Array.from({ length: 0x30 }, (_, i) => String.fromCharCode(i)).join('') + '\x7f\x80\x9f\u061c\u200e\u200f\u2028\u2029\u202a\u202e\u2066\u2069';
    expect(CONTROL.test(terminalSafe(all).replaceAll('\n', ''))).toBe(false);
  });

  it('leaves JSON meaning unchanged: \\uXXXX is a JSON escape of the same character', () => {
    const line = JSON.stringify({ name: EVIL });
    expect(JSON.parse(terminalSafe(line))).toEqual({ name: EVIL });
  });
});

describe('the CLI prints no raw control character from a document', () => {
  const doc = tiny('simsiam');
  doc.name = EVIL;
  doc.nodes[1].label = EVIL;
  const clean = (r: { stdout: string; stderr: string }) => {
    expect(CONTROL.test(r.stdout.replaceAll('\n', ''))).toBe(false);
    expect(CONTROL.test(r.stderr.replaceAll('\n', ''))).toBe(false);
  };

  it('validate: errors quoting a value, human and --json', async () => {
    const bad = JSON.parse(serializeGraph(doc));
    bad.nodes[1].params[EVIL] = 1;
    const p = file('bad-key.json', JSON.stringify(bad));
    const r = await cli('validate', p);
    expect(r.code).toBe(1);
    clean(r);
    // JSON.stringify in the message escaped the C0 codes; terminalSafe the rest
    expect(r.stdout).toContain('unknown key "evil\\u001b]0;pwned\\u0007\\u001b[2J\\r\\u009b2J\\u202e\\u2028\\u007f"');
    const json = await cli('validate', p, '--json');
    clean(json);
    expect(JSON.parse(json.stdout).errors[0].message).toContain(EVIL.slice(-4)); // the same text, once parsed
  });

  it('validate: a document that is not a graph, quoting its format', async () => {
    const p = file('format.json', JSON.stringify({ format: EVIL, version: 1 }));
    const r = await cli('validate', p);
    expect(r.code).toBe(2);
    clean(r);
    expect(r.stderr).toContain('\\u009b2J\\u202e\\u2028\\u007f');
  });

  it('train: the progress lines naming the document', async () => {
    const data = writeFashionMnistLike(join(dir, 'data'), 8);
    const r = await cli('train', file('evil.json', serializeGraph(doc)), '--data', `fashion-mnist=${data}`, '--steps', '1', '--batch', '4', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    clean(r);
    expect(r.stderr).toContain(`training "${SHOWN}" on fashion-mnist (8 images)`);
  }, 30_000);
});
