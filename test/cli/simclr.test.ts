/** SimCLR from the command line: `npx siamese-studio validate` and `train` on the template as shipped (issue 17's acceptance lines). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cli, jsonLines, root } from '../helpers/cli';

describe('siamese-studio on templates/simclr.json', () => {
  it('`npx siamese-studio validate templates/simclr.json` exits 0 with no warning; --json lists no error and no warning', async () => {
    const { stdout, stderr } = await promisify(execFile)('npx', ['siamese-studio', 'validate', 'templates/simclr.json'], { cwd: root });
    expect(stdout).toMatch(/^templates\/simclr\.json: valid \(5 nodes, 4 edges[;)]/);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout + stderr).not.toMatch(/warning/);
    const json = await cli('validate', 'templates/simclr.json', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: [], warnings: [] });
  }, 120_000);

  it('train --steps 20 --batch 32 --backend wasm --jsonl prints 20 step lines and a done line', async () => {
    const r = await cli('train', 'templates/simclr.json', '--data', 'fashion-mnist', '--steps', '20', '--batch', '32', '--backend', 'wasm', '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines(r.stdout);
    expect(records).toHaveLength(21);
    records.slice(0, 20).forEach((rec, i) => {
      expect(rec.step).toBe(i + 1);
      for (const key of ['loss', 'collapseStd', 'lr', 'imagesPerSec']) expect(Number.isFinite(rec[key]), key).toBe(true);
      expect('tau' in rec).toBe(false); // no EMA in SimCLR
    });
    // 64 anchors at batch 32: NT-Xent starts near log 63 and cannot go below 0
    expect(Math.abs(records[0].loss - Math.log(63))).toBeLessThan(1);
    expect(records[19].loss).toBeGreaterThan(0);
    expect(records[19].effRank).toBeGreaterThan(1);
    expect(records[20]).toMatchObject({ done: true, steps: 20, backend: 'wasm', loss: records[19].loss, collapsed: false });
  }, 300_000);
});
