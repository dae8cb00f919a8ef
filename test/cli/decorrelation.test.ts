/** Barlow Twins and VICReg from the command line: `validate` and `train` on the templates as shipped (issue 18's acceptance lines). */
import { describe, expect, it } from 'vitest';
import { cli, jsonLines } from '../helpers/cli';

describe.each([['barlow-twins', 'Barlow Twins'], ['vicreg', 'VICReg']])('siamese-studio on templates/%s.json', (name) => {
  it('validate exits 0 with no warning; --json lists no error and no warning', async () => {
    const r = await cli('validate', `templates/${name}.json`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^templates/${name}\\.json: valid \\(5 nodes, 4 edges[;)]`));
    expect(r.stdout + r.stderr).not.toMatch(/warning/);
    const json = await cli('validate', `templates/${name}.json`, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: [], warnings: [] });
  }, 120_000);

  it('train --steps 20 --batch 32 --backend wasm --jsonl prints 20 step lines and a done line', async () => {
    const r = await cli('train', `templates/${name}.json`, '--data', 'fashion-mnist', '--steps', '20', '--batch', '32', '--backend', 'wasm', '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines(r.stdout);
    expect(records).toHaveLength(21);
    records.slice(0, 20).forEach((rec, i) => {
      expect(rec.step).toBe(i + 1);
      for (const key of ['loss', 'collapseStd', 'lr', 'imagesPerSec']) expect(Number.isFinite(rec[key]), key).toBe(true);
      expect(rec.loss).toBeGreaterThan(0); // sums of squares and hinges
      expect('tau' in rec).toBe(false); // no EMA
    });
    expect(records[19].loss).toBeLessThan(records[0].loss); // warmup then LARS at 1.6: it learns, and does not diverge
    expect(records[19].effRank).toBeGreaterThan(1);
    expect(records[20]).toMatchObject({ done: true, steps: 20, backend: 'wasm', loss: records[19].loss });
  }, 300_000);
});
