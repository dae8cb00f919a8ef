/** `npm start` / `npm test`'s installer never reinstalls through a linked node_modules: npm ci would empty the folder it points to (another checkout's install). */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('scripts/ensure-deps.mjs --npm', () => {
  const work = mkdtempSync(join(tmpdir(), 'ensure-deps-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('refuses, exit 1, when node_modules is a link without this lockfile\'s mark, and leaves what it points to as it was', async () => {
    const checkout = join(work, 'checkout');
    const other = join(work, 'other-install');
    mkdirSync(join(checkout, 'scripts'), { recursive: true });
    mkdirSync(join(other, 'some-package'), { recursive: true });
    copyFileSync(join(root, 'scripts/ensure-deps.mjs'), join(checkout, 'scripts/ensure-deps.mjs'));
    copyFileSync(join(root, 'package-lock.json'), join(checkout, 'package-lock.json'));
    symlinkSync(other, join(checkout, 'node_modules'));
    const r = await promisify(execFile)(process.execPath, ['scripts/ensure-deps.mjs', '--npm'], { cwd: checkout }).then(() => ({ code: 0, stderr: '' }), (e) => e);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`siamese-studio: node_modules is a link to ${other}, not installed from this package-lock.json (or not marked so); not reinstalling into another folder.`);
    expect(readdirSync(other)).toEqual(['some-package']);
  });
});
