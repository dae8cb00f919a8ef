import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { bypass, paramsOf, template, templatePath, templateText, wire } from '../helpers/docs';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'siamese-cli-'));

/** Runs the real CLI; resolves with code, stdout and stderr whatever the exit code. */
async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'bin/siamese-studio.mjs'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('siamese-studio validate', () => {
  it('`npx siamese-studio validate templates/simsiam.json` exits 0', async () => {
    const { stdout } = await run('npx', ['siamese-studio', 'validate', 'templates/simsiam.json'], { cwd: root });
    // The template is stored in format v1: read (migrated) as v2, and said so.
    expect(stdout).toBe('templates/simsiam.json: valid (7 nodes, 7 edges; format v1, read as v2)\n');
  });

  it('a truncated file exits 2 with one clear line and no stack trace', async () => {
    const p = file('cut.json', templateText('byol').slice(0, 1234));
    const r = await cli('validate', p);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^siamese-studio: ${p}: not valid JSON: the text ends too early \\(truncated\\?\\) at line \\d+, column \\d+\\n$`));
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('exits 2 for a missing file, a newer version and another format', async () => {
    expect(await cli('validate', join(dir, 'nope.json'))).toMatchObject({ code: 2, stderr: `siamese-studio: cannot read ${join(dir, 'nope.json')}: no such file\n` });
    const newer = file('newer.json', templateText('simsiam').replace('"version": 1', '"version": 7'));
    expect((await cli('validate', newer)).stderr).toContain('format version 7, newer than this Siamese Studio understands (2)');
    expect((await cli('validate', file('other.json', '{"nodes": []}'))).code).toBe(2);
  });

  it('exits 1 for an invalid graph, one error per line with node, port and reason', async () => {
    const doc = template('simsiam');
    paramsOf(doc, 'pred').outputDim = 64;
    wire(doc, 'extra', 'proj', 'output', 'loss', 'target');
    const r = await cli('validate', file('bad.json', serializeGraph(doc)));
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/: invalid: 2 errors \(7 nodes, 8 edges\)$/);
    expect(lines.slice(1)).toEqual([
      '  error edges[7] (node "loss", port "target", edge "extra"): input "target" of "loss" already has a wire ("e7") [multiple-inputs]',
      '  error nodes[6] (node "loss", port "target"): prediction is 2×B×64 but target is 2×B×128: they must match [shape-mismatch]',
    ]);
  });

  it('exits 0 and prints warnings for a graph that will likely collapse', async () => {
    const doc = template('simsiam');
    bypass(doc, 'sg');
    const r = await cli('validate', file('nosg.json', serializeGraph(doc)));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid with 1 warning');
    expect(r.stdout).toContain('[collapse-no-stop-gradient]');
  });

  it('--json gives the same verdict as data', async () => {
    const ok = await cli('validate', templatePath('byol'), '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ file: templatePath('byol'), readable: true, valid: true, migratedFrom: 1, errors: [], warnings: [] });
    const cut = await cli('validate', file('cut2.json', '{"format":'), '--json');
    expect(cut.code).toBe(2);
    expect(JSON.parse(cut.stdout)).toMatchObject({ readable: false, valid: false, errors: [{ code: 'not-json' }] });
  });

  it('unknown commands and missing arguments exit 2 with usage', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect((await cli('validate')).stderr).toContain('usage: siamese-studio validate GRAPH.json|URL [--json]');
  });
});

describe('siamese-studio export-pytorch', () => {
  it('writes train.py (exit 0), refuses an invalid graph (exit 1) and a missing -o (exit 2)', async () => {
    const out = join(dir, 'train.py');
    const ok = await cli('export-pytorch', 'templates/simsiam.json', '-o', out);
    expect(ok).toMatchObject({ code: 0, stderr: `wrote ${out}\n` });
    expect(readFileSync(out, 'utf8')).toMatch(/^#!\/usr\/bin\/env python3\nr"""A training script exported by Siamese Studio from the graph document\n"SimSiam" /);
    const doc = template('simsiam');
    doc.edges = doc.edges.filter((e) => e.to.node !== 'enc');
    const bad = await cli('export-pytorch', file('bad-export.json', serializeGraph(doc)), '-o', join(dir, 'x.py'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[unconnected-input]');
    expect((await cli('export-pytorch', 'templates/simsiam.json')).code).toBe(2);
  });
});
