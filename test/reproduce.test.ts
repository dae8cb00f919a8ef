/** `npm run reproduce` on a 2k-image subset for 20 steps: the table grouped by family, the reading and the plots, with finite numbers and the right columns. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('npm run reproduce (short)', () => {
  it('writes results/README.md with every column, the per-step metrics and three SVG plots', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reproduce-'));
    await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'reproduce/run.ts', '--steps', '20', '--subset', '2000', '--batch', '32',
      '--only', 'raw-pixels,random-init,simsiam,collapse-no-final-bn-no-stop-gradient', '--with-pytorch', '--out', relative(root, out)], { cwd: root, maxBuffer: 64 << 20 });
    const md = readFileSync(join(out, 'README.md'), 'utf8');
    const lines = md.split('\n').filter((l) => l.startsWith('|'));
    expect(lines[0].split('|').map((c) => c.trim()).filter(Boolean)).toEqual([
      'method', 'steps', 'wall time', 'backend', 'final loss (mean of last 10)', 'std (1/√d)', 'rank z / d', 'rank features', 'kNN top-1', 'probe top-1', 'collapsed',
      'PyTorch loss', 'PyTorch std', 'PyTorch rank z', 'PyTorch kNN', 'PyTorch probe', 'PyTorch collapsed',
    ]);
    const cells = lines.slice(2).map((l) => l.split('|').map((c) => c.trim()).filter(Boolean));
    // one table grouped by family: a group's title row, then its rows
    expect(cells.map((r) => r[0])).toEqual(['**References**', 'raw pixels (no encoder, reference)', 'random-init encoder (no training)', '**Asymmetry**', 'SimSiam', 'SimSiam, projector without final BN, no stop-gradient']);
    const rows = cells.filter((r) => !r[0].startsWith('**'));
    expect(cells.filter((r) => r[0].startsWith('**')).every((r) => r.length === 1)).toBe(true);
    const percent = (cell: string) => Number(cell.replace(' %', ''));
    for (const r of rows.slice(2)) {
      expect(Number(r[1])).toBe(20);
      for (const cell of [r[4], r[5].split(' ')[0], r[6].split(' / ')[0], r[7], r[11], r[12], r[13]]) expect(Number.isFinite(Number(cell)), cell).toBe(true);
      for (const cell of [r[8], r[9], r[14], r[15]]) expect(percent(cell)).toBeGreaterThan(10); // 10 classes: chance is 10 %
      expect(['yes', 'no']).toContain(r[10]);
      expect(r[16]).toBe(r[10]);
    }
    // the references: kNN and probe of raw pixels and of the untrained encoder, ours and the script's probe
    for (const r of rows.slice(0, 2)) for (const cell of [r[8], r[9], r[15]]) expect(percent(cell), `${r[0]}: ${cell}`).toBeGreaterThan(10);
    // raw pixels: the same features in both, so the same probe (within 0.5 points)
    expect(Math.abs(percent(rows[0][9]) - percent(rows[0][15]))).toBeLessThanOrEqual(0.5);
    // the reading: the ablation against the method it differs least from, in words and numbers, beside its expected outcome
    const reading = md.slice(md.indexOf('## Reading')).split('\n').filter((l) => l.startsWith('- '));
    expect(reading).toHaveLength(1);
    expect(reading[0]).toContain('**SimSiam, projector without final BN, no stop-gradient** against SimSiam (stop-gradient removed (loss target now from projector); projector lastBatchNorm non-affine → none): final loss ');
    expect(reading[0]).toContain(`kNN ${rows[2][8]} → ${rows[3][8]}`);
    expect(reading[0]).toMatch(/; (not )?collapsed \(PyTorch: (not )?collapsed\)\. Expected: complete collapse/);
    const steps = readFileSync(join(out, 'metrics-simsiam.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const plot of ['loss', 'std', 'rank']) {
      const svg = readFileSync(join(out, `${plot}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/g)?.length).toBe(2);
      expect(svg).toContain('SimSiam, projector without final BN, no stop-gradient');
    }

    // --keep continues into the same folder: recorded runs are not trained again, the table is the same.
    const { stderr } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'reproduce/run.ts', '--steps', '20', '--subset', '2000', '--batch', '32',
      '--only', 'simsiam,random-init', '--keep', '--out', relative(root, out)], { cwd: root, maxBuffer: 64 << 20 });
    expect(stderr).toContain('--keep: raw-pixels, random-init, simsiam, collapse-no-final-bn-no-stop-gradient already in');
    expect(stderr).not.toContain('step 1/');
    const kept = readFileSync(join(out, 'README.md'), 'utf8');
    expect(kept.split('\n').filter((l) => l.startsWith('|'))).toEqual(lines);
    // The header names the settings (not the last --only) and says the table was made in parts.
    expect(kept).toContain('Made by `npm run reproduce -- --steps 20 --subset 2000 --batch 32 --out ');
    expect(kept).toContain('in parts (a few runs at a time with `--only`, continued with `--keep`)');
    const refused = promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'reproduce/run.ts', '--steps', '30', '--subset', '2000', '--batch', '32',
      '--only', 'simsiam', '--keep', '--out', relative(root, out)], { cwd: root });
    await expect(refused).rejects.toThrow(/runs.json was made with --steps 20 --subset 2000 --batch 32; run with the same settings/);
  }, 900_000);
});
