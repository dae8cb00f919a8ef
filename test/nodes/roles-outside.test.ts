/**
 * Roles come from node kinds (their traits), never from type names or port
 * names spelled out elsewhere: no code in src/runtime, src/editor, src/cli or
 * parity/ compares with a kind's type name or names a kind's port in a place
 * where a port is meant. The patterns are narrow (a comparison, a port or key
 * comparison, a shape or output record indexed by name, a node's forward
 * called with named inputs, an override entry), so that a socket kind
 * ('images'), a message field or a metric called `loss` is not a hit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeKinds } from '../../src/nodes';

const ROOT = join(import.meta.dirname, '../..');
const SCANNED = ['src/runtime', 'src/editor', 'src/cli', 'parity'];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
const types = [...new Set(nodeKinds.map((k) => k.type))].map(escape);
const ports = [...new Set(nodeKinds.flatMap((k) => [...k.inputs, ...k.outputs].map((p) => p.key)))].map(escape);
const quoted = (words: string[]) => `['"\`](?:${words.join('|')})['"\`]`;
const names = (words: string[]) => `(?:${words.join('|')})\\b`;

const PATTERNS: Array<[string, RegExp]> = [
  ['a comparison with a kind\'s type name', new RegExp(`[!=]==?\\s*${quoted(types)}|${quoted(types)}\\s*[!=]==?`)],
  ['a port compared with a literal name', new RegExp(`\\b(?:port|key)\\s*[!=]==?\\s*${quoted(ports)}|${quoted(ports)}\\s*[!=]==?\\s*[\\w.]*\\b(?:port|key)\\b`)],
  ['shapes indexed by a literal port name', new RegExp(`\\b(?:inputs|outputs)\\s*(?:\\??\\.\\s*${names(ports)}|\\[\\s*${quoted(ports)}\\s*\\])`)],
  // not a method call: the queue's port `keys` is also Map's keys()
  ['a node\'s outputs read by a literal port name', new RegExp(`\\.get\\([^()]*\\)\\s*[!?]?\\.\\s*${names(ports)}(?!\\s*\\()`)],
  ['a forward called with literal port names', new RegExp(`\\.forward\\(\\s*\\{\\s*${names(ports)}\\s*:|\\.forward\\([^;]*\\)\\s*\\.\\s*${names(ports)}`)],
  ['an override entry with a literal port name', new RegExp(`\\[\\s*[\\w.]+\\s*,\\s*\\{\\s*${names(ports)}\\s*:`)],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|vue)$/.test(name) ? [path] : [];
  });
}

/** Every hit, as "file:line: what — the line". Comment lines are skipped (they may name kinds for people). */
function hits(text: string, file: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    for (const [what, re] of PATTERNS) if (re.test(line)) out.push(`${file}:${i + 1}: ${what} — ${line.trim()}`);
  });
  return out;
}

describe('roles come from node kinds', () => {
  it('the patterns catch what they are for, and not what merely looks alike', () => {
    const bad = [
      "const enc = online.find((id) => typeOf.get(id) === 'encoder');",
      "if (kind.type === 'augment') augments.push(id);",
      "const link = v.wires.find((w) => w.to.port === 'weights')!.from.node;",
      'const out = v.shapes.get(projector)!.outputs.output;',
      "const first = shapes.outputs['images'];",
      'const losses = built.map((n) => outputs.get(n.id)!.loss);',
      'const f = encoder.program.forward({ input: view }, env).output;',
      'const overrides = new Map([[augment.id, { views: fixed }]]);',
    ];
    for (const line of bad) expect(hits(line, 'x'), line).toHaveLength(1);
    const fine = [
      "else if (m.type === 'status') message.value = m.text;",
      "if (data?.kind !== 'images') throw new DataError('…');",
      "const port = kind.inputs.find((p) => p.key === w.to.port)?.kind !== 'weights';",
      "return wire.side === 'output' ? 'Wire into…' : 'Feed from…';",
      'io.err(`loss ${last.loss.toFixed(4)}`);',
      "// the encoder's 'output' port",
      "let x = add('InputLayer', 'input', {}, []);",
    ];
    for (const line of fine) expect(hits(line, 'x'), line).toEqual([]);
  });

  it(`nothing in ${SCANNED.join(', ')} finds a role by a kind's type name or a literal port name`, () => {
    const found = SCANNED.flatMap((dir) => files(join(ROOT, dir))).flatMap((path) => hits(readFileSync(path, 'utf8'), relative(ROOT, path)));
    expect(found).toEqual([]);
  });
});
