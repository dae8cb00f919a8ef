/**
 * The one collapse rule at the batch sizes a laptop CPU forces: the rank is
 * the probe set's, so a healthy SimSiam at batch 16 (whose training batch
 * caps a batch rank at 15, read as 10.2 < d/10 = 12.8) is not flagged, and a
 * graph that really collapses still is.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/siamese-studio.mjs');

async function trainJsonl(template: string, steps: number) {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'train', `templates/${template}.json`, '--data', 'fashion-mnist',
    '--steps', String(steps), '--batch', '16', '--backend', 'wasm', '--jsonl'], { cwd: root, maxBuffer: 64 << 20 });
  const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { last: records.at(-2), done: records.at(-1) };
}

const D = 128;

describe('the collapse rule at batch 16 (CLI, wasm, Fashion-MNIST)', () => {
  it('SimSiam, 30 steps: not collapsed — its probe rank is above d/10 and above the batch cap of 15, its std near 1/√d', async () => {
    const { last, done } = await trainJsonl('simsiam', 30);
    expect(last.step).toBe(30);
    expect(last.effRank).toBeGreaterThanOrEqual(D / 10);
    expect(last.effRank).toBeGreaterThan(15);
    expect(last.collapseStd).toBeGreaterThan(0.1 / Math.sqrt(D));
    expect(done).toMatchObject({ done: true, steps: 30, collapsed: false });
  }, 300_000);

  it('no final BatchNorm and no stop-gradient, 200 steps (the fewest at which its std is clearly under 0.1/√d: 0.0085 at 150, 0.0070 at 200): collapsed (std under 0.1/√d)', async () => {
    const { last, done } = await trainJsonl('collapse-no-final-bn-no-stop-gradient', 200);
    expect(last.step).toBe(200);
    expect(last.collapseStd).toBeLessThan(0.1 / Math.sqrt(D));
    expect(done).toMatchObject({ done: true, steps: 200, collapsed: true });
  }, 600_000);
});
