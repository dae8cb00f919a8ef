/**
 * The portable bench (`npm run bench:bundle`): built, copied into an empty
 * folder and run there with a PATH that has no node, on SwiftShader's Vulkan
 * adapter at batch 4 — the code path of a GPU machine, only slower.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers/cli';
import { PYTHON } from './helpers/python';

const run = promisify(execFile);
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** What run.sh calls; python3 is Debian's, with torch. */
const TOOLS: Record<string, string> = { sh: '/bin/sh', dirname: '/usr/bin/dirname', uname: '/usr/bin/uname', mktemp: '/usr/bin/mktemp', rm: '/usr/bin/rm', tar: '/usr/bin/tar', gzip: '/usr/bin/gzip', cat: '/usr/bin/cat', python3: PYTHON };

/**
 * Two of the six templates (a stateless one and MoCo's queue, a kind's
 * state on webgpu): the code path is the same for all, and each costs about
 * a minute of SwiftShader shaders here. The full list is checked by --only's
 * refusal below.
 */
const MEASURED = ['simsiam', 'moco-v2'];

interface StepRow { ms: number; imagesPerSec: number }
interface BenchJson {
  figures: { name: string; value: number; unit: string }[];
  steps: Record<string, { batch: number; wasm: StepRow & { threads: number }; webgpu?: StepRow & { adapter: string }; pytorch?: { ms: number; device: string; torch: string }; cpu?: unknown }>;
}

describe('the portable bench bundle', () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-bundle-test-'));
  const folder = join(work, 'copied');
  const tools = join(work, 'tools');
  const temp = join(work, 'tmp');
  const env = { PATH: tools, VK_ICD_FILENAMES: SWIFTSHADER, SIAMESE_BENCH_LOADER: 'bundled', TMPDIR: temp };
  let built: string;
  let bench: { stdout: string; stderr: string; seconds: number };
  let json: BenchJson;

  beforeAll(async () => {
    built = (await run('npm', ['run', '-s', 'bench:bundle'], { cwd: root })).stdout;
    cpSync(join(root, 'bench-bundle'), folder, { recursive: true });
    mkdirSync(tools);
    mkdirSync(temp);
    for (const [name, target] of Object.entries(TOOLS)) symlinkSync(target, join(tools, name));
    const t0 = performance.now();
    const r = await run(join(folder, 'run.sh'), ['--software-webgpu', '--batch', '4', '--steps', '1', '--only', MEASURED.join(','), '--skip-probe'], { cwd: work, env, maxBuffer: 1 << 24, timeout: 600_000 });
    bench = { ...r, seconds: (performance.now() - t0) / 1000 };
    json = JSON.parse(bench.stdout.slice(bench.stdout.indexOf('\n{\n') + 1)) as BenchJson;
  }, 900_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is a folder of at most 60 MiB: run.sh and its compressed payload', () => {
    expect(built).toMatch(/bench-bundle: [\d.]+ MiB/);
    const files = readdirSync(folder).sort();
    expect(files).toEqual(['.inputs-sha256', 'payload.tar.gz', 'run.sh']);
    const bytes = files.reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(60 * 2 ** 20);
    expect(bytes).toBeGreaterThan(20 * 2 ** 20); // Node and Dawn are in it
  });

  it('runs where the PATH has no node', async () => {
    const { stdout } = await run('/bin/sh', ['-c', 'command -v python3; command -v node || echo "no node"'], { env });
    expect(stdout).toBe(`${tools}/python3\nno node\n`);
  });

  it('says which Vulkan driver, loader and python it uses', () => {
    expect(bench.stderr).toContain(`run.sh: Vulkan driver: ${SWIFTSHADER} (from VK_ICD_FILENAMES)`);
    expect(bench.stderr).toContain("run.sh: Vulkan loader: bundled (Debian's libvulkan1)");
    expect(bench.stderr).toMatch(new RegExp(`run\\.sh: PyTorch: ${tools}/python3 \\(torch [\\w.]+ no CUDA\\)`));
  });

  it('prints the webgpu row with the adapter, the wasm row and the PyTorch row of each template --only names, as JSON', () => {
    expect(Object.keys(json.steps)).toEqual(MEASURED);
    for (const step of Object.values(json.steps)) {
      expect(step.batch).toBe(4);
      expect(step.webgpu?.adapter).toMatch(/swiftshader/i);
      expect(step.pytorch).toMatchObject({ device: 'CPU, 2 threads', torch: expect.any(String) });
      expect(step.wasm.threads).toBeGreaterThanOrEqual(1);
      for (const ms of [step.webgpu!.ms, step.wasm.ms, step.pytorch!.ms]) {
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThan(0);
      }
      expect(step.cpu).toBeUndefined(); // the cpu backend's 35 s step is left out
    }
  });

  it('prints the same rows as a table', () => {
    for (const name of MEASURED) {
      const row = (label: string) => bench.stdout.split('\n').find((line) => line.startsWith(`${name}: ${label}`));
      expect(row('webgpu step (google swiftshader)')).toMatch(/ [\d.]+ ms /);
      expect(row('wasm step (')).toMatch(/ [\d.]+ ms /);
      expect(row('PyTorch step (CPU, 2 threads)')).toMatch(/ [\d.]+ ms /);
      const figure = json.figures.find((f) => f.name.startsWith(`${name}: wasm step`))!;
      expect(row('wasm step (')).toContain(figure.value.toFixed(3));
    }
  });

  it('stops on a bad flag with one line and exit 2', async () => {
    const bad = await run(join(folder, 'run.sh'), ['--batch', '0'], { cwd: work, env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr.trim().split('\n').pop()).toBe('bench: --batch and --steps take whole numbers above 0 (got 0, 5)');
  });

  it('measures the six templates by default: an unknown --only is refused with their names, one line and exit 2', async () => {
    const bad = await run(join(folder, 'run.sh'), ['--only', 'simsiam,nope\x1b[2J'], { cwd: work, env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr.trim().split('\n').pop()).toBe('bench: --only: no template "nope\\u001b[2J" (templates: simsiam, byol, simclr, moco-v2, barlow-twins, vicreg)');
  });

  it('leaves no unpacked files behind', () => {
    expect(readdirSync(temp)).toEqual([]);
    console.log(`bench bundle: run.sh took ${bench.seconds.toFixed(0)} s; steps: ${JSON.stringify(json.steps)}`);
  });
});
