/**
 * `npm run bench`: the project's speed figures, as a table (or JSON with
 * --json). Figures, not pass/fail: targets are read off by people.
 *
 *   npm run bench [-- --json] [--batch 256] [--steps 5] [--profile] [--only NAME,NAME (of simsiam, byol, simclr, moco-v2, barlow-twins, vicreg)] [--software-webgpu]
 *                 [--skip-editor] [--skip-knn] [--skip-probe] [--skip-cpu] [--data embedded] [--json-out FILE]
 *
 * - graph: parse / validate + shape inference / compile of a 300-node document;
 * - one training step of the reference workload (batch 256, Fashion-MNIST-sized
 *   images) per template on each backend: wasm, webgpu where a hardware adapter
 *   exists (a software one is named and skipped, unless --software-webgpu: to
 *   check the GPU rows on a machine without one, at a small --batch), cpu on a
 *   shortened run (batch 8);
 * - the same step of the exported PyTorch script, in the same run (Debian's
 *   python3-torch, 2 threads, or CUDA where there is a GPU), and the ratio;
 * - the ceiling: wasm's 128-bit SIMD peak on our threads (bench/ceiling.ts),
 *   and per template the step's convolution arithmetic (from a profiled
 *   step) at that peak, beside PyTorch's step: the least a wasm step could be;
 * - kNN evaluation time (bank 10k, queries 2k, on the best backend);
 * - the linear probe's time on 60k/10k features of 256 dimensions (the
 *   train and test splits through a fixed random ReLU projection of the
 *   pixels: an encoder's width and statistics without its forward passes);
 * - the editor: first-load JavaScript (gzip) of a production build, the
 *   time to import and render a 300-node document in Chromium (the median of
 *   five first visits), and SimSiam's step at --batch in the page's training
 *   worker on wasm (--skip-editor skips all three).
 *
 * --data embedded: the app's 10k images (public/data/fashion-mnist) instead of
 * Debian's dataset (the portable bench of bench/bundle/, where there is none);
 * --json-out FILE: the JSON too, beside the table; $PYTHON: the python3 with
 * torch (default /usr/bin/python3).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGraph, serializeGraph, type GraphDoc } from '../src/graph';
import { terminalSafe } from '../src/cli/terminal';
import { validate } from '../src/nodes';
import { loadDatasetSpec } from '../src/runtime/data/node';
import { embeddedFashionMnist } from '../src/runtime/data/embedded';
import { linearProbe, pixelFeatures } from '../src/runtime/linear-probe';
import { compile } from '../src/runtime/program';
import { exportPytorch } from '../src/runtime/pytorch/export';
import { selectBackend, type BackendChoice } from '../src/runtime/tf/backends';
import { enableWebGpu, loadTfNode, probeWebGpu } from '../src/runtime/tf/node';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { replicate, template } from '../test/helpers/docs';
import { wasmSimdPeak } from './ceiling';
import { profileStep, type StepProfile } from './profile';

interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Bad flags (run.sh passes its own through): one line and exit 2, not a stack trace. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(2);
  }
}

const { values: args } = parsed(() => parseArgs({
  options: {
    json: { type: 'boolean', default: false }, batch: { type: 'string', default: '256' }, steps: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false }, only: { type: 'string' }, 'skip-knn': { type: 'boolean', default: false }, 'skip-probe': { type: 'boolean', default: false },
    'skip-editor': { type: 'boolean', default: false }, 'software-webgpu': { type: 'boolean', default: false },
    'skip-cpu': { type: 'boolean', default: false }, data: { type: 'string', default: 'fashion-mnist' }, 'json-out': { type: 'string' },
  },
}));
const BATCH = Number(args.batch);
const STEPS = Number(args.steps);
parsed(() => {
  if (![BATCH, STEPS].every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--batch and --steps take whole numbers above 0 (got ${args.batch}, ${args.steps})`);
});
/** The templates whose training step is timed, in the table's order; --only picks some. */
const TEMPLATES = ['simsiam', 'byol', 'simclr', 'moco-v2', 'barlow-twins', 'vicreg'] as const;
const only = args.only?.split(',').map((s) => s.trim());
parsed(() => {
  const unknown = only?.find((n) => !(TEMPLATES as readonly string[]).includes(n));
  if (unknown !== undefined) throw new Error(`--only: no template "${terminalSafe(unknown)}" (templates: ${TEMPLATES.join(', ')})`);
});
const CPU_BATCH = 8;
const figures: Figure[] = [];
const say = (line: string) => { if (!args.json) console.error(line); };

/** Median wall time of fn over `runs` runs, after a few warm-up runs. */
function median(fn: () => void, runs = 50): number {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

function graphFigures() {
  const big = replicate(template('byol'), 28);
  const text = serializeGraph(big);
  const n = big.nodes.length;
  const dataset = { name: 'none', train: { images: new Uint8Array(784), labels: new Uint8Array(1), count: 1, height: 28, width: 28, channels: 1 }, test: { images: new Uint8Array(784), labels: new Uint8Array(1), count: 1, height: 28, width: 28, channels: 1 }, classes: 10 };
  figures.push(
    { name: `parse ${n}-node document`, value: median(() => parseGraph(text)), unit: 'ms' },
    { name: `validate + infer shapes, ${n}-node document`, value: median(() => validate(big)), unit: 'ms', note: 'target: well under 10 ms' },
    { name: `compile ${n}-node document (validate, plan)`, value: median(() => compile(big, { dataset, batchSize: 1 })), unit: 'ms' },
    { name: `serialize ${n}-node document`, value: median(() => serializeGraph(big)), unit: 'ms' },
  );
}

const tf = await loadTfNode();
const embeddedData = new URL('../public/data/fashion-mnist/', import.meta.url);
const dataset = args.data === 'embedded' ? await embeddedFashionMnist(async (name) => new Uint8Array(readFileSync(new URL(name, embeddedData)))) : await loadDatasetSpec(args.data);

/** The median step time; on wasm, also a profiled step (its convolutions' arithmetic; the kernel table with --profile). */
async function stepTime(doc: GraphDoc, backend: string, batch: number, steps: number): Promise<{ ms: number; profile?: StepProfile }> {
  await selectBackend(tf, backend as BackendChoice); // throws when it does not start; quiets the cpu backend's tfjs-node banner
  // A long schedule: no step timed here is one where the monitor computes effective ranks (every N steps and the last).
  const program = compile(doc, { dataset, batchSize: batch, steps: 1000 });
  program.init();
  try {
    await program.step(); // warm-up: kernels, shader compilation, allocations
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await program.step();
      times.push(performance.now() - t0);
    }
    const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    if (backend !== 'wasm') return { ms };
    const profile = await profileStep(tf, program);
    if (args.profile) {
      const total = profile.kernels.reduce((a, k) => a + k.ms, 0);
      say(`  profile (${backend}, one step, ${total.toFixed(0)} ms in kernels):`);
      for (const k of profile.kernels.slice(0, 10)) say(`    ${k.name.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.calls).padStart(4)} calls ${((100 * k.ms) / total).toFixed(1).padStart(5)} %`);
    }
    return { ms, profile };
  } finally {
    program.dispose();
  }
}

function pytorchStep(doc: GraphDoc, batch: number): { ms: number; device: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const script = join(dir, 'train.py');
  writeFileSync(script, exportPytorch(doc));
  try {
    const out = execFileSync(process.env.PYTHON || '/usr/bin/python3', [new URL('./torch_step.py', import.meta.url).pathname, script, String(batch), String(STEPS), '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (e) {
    say(`  PyTorch: not measured (${(e as Error).message.split('\n')[0]}); install Debian's python3-torch, or set $PYTHON to a python3 with torch`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

graphFigures();
if (!args['skip-editor']) {
  const { editorFigures } = await import('./editor'); // Chromium and a production build: not in the portable bench
  const e = await editorFigures(BATCH);
  figures.push(
    { name: 'editor: first-load JS + CSS (gzip)', value: e.firstLoadGzipKiB, unit: 'KiB', note: `${e.firstLoadFiles.length} files; lazy chunks (exporter, elkjs, …) ${e.lazyGzipKiB.toFixed(0)} KiB more` },
    { name: `editor: import + render a ${e.nodes}-node document (Chromium)`, value: e.importRenderMs, unit: 'ms', note: `median of ${e.importRenderRuns.length} first visits: ${e.importRenderRuns.map((ms) => ms.toFixed(0)).join(', ')} (target: ≤ 300 ms)` },
    { name: `editor: SimSiam step at batch ${e.browserStep.batch} in the page's worker (wasm, ${e.browserStep.threads} threads)`, value: e.browserStep.ms, unit: 'ms', note: 'median of steps 2–6, Chromium' },
  );
}
const adapter = probeWebGpu();
const webgpu = adapter && (!adapter.software || args['software-webgpu']) && (await enableWebGpu()) ? 'webgpu' : undefined;
const adapterName = adapter && ([adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description || 'unnamed adapter');
if (!webgpu) say(`webgpu: ${adapter ? `skipped: software adapter (${adapterName})` : 'no adapter'}`);
const results: Record<string, unknown> = {};
await selectBackend(tf, 'wasm');
const peak = wasmSimdPeak(tf);
figures.push({ name: `wasm SIMD peak (${peak.threads} threads)`, value: peak.gflops, unit: 'GFLOP/s', note: 'f32x4 multiplies and adds, no memory: no wasm kernel runs faster' });
for (const name of TEMPLATES.filter((n) => !only || only.includes(n))) {
  const doc = template(name);
  say(`${doc.name}: one step at batch ${BATCH} (median of ${STEPS} after a warm-up)`);
  const torch = pytorchStep(doc, BATCH);
  const { ms: wasm, profile } = await stepTime(doc, 'wasm', BATCH, STEPS);
  const gpu = webgpu ? (await stepTime(doc, 'webgpu', BATCH, STEPS)).ms : undefined;
  const cpu = args['skip-cpu'] ? undefined : (await stepTime(doc, 'cpu', CPU_BATCH, 1)).ms;
  const conv = profile?.convFlops ? { gflop: profile.convFlops / 1e9, atPeakMs: profile.convFlops / peak.gflops / 1e6, wasmGflops: profile.convFlops / profile.convMs / 1e6 } : undefined;
  const per = (ms: number, b: number) => ({ ms, imagesPerSec: (1000 * b) / ms });
  if (torch) figures.push({ name: `${name}: PyTorch step (${torch.device})`, value: torch.ms, unit: 'ms', note: `${((1000 * BATCH) / torch.ms).toFixed(0)} img/s` });
  figures.push({ name: `${name}: wasm step (${getThreadsCount()} threads)`, value: wasm, unit: 'ms', note: `${((1000 * BATCH) / wasm).toFixed(0)} img/s${torch ? `; ${(wasm / torch.ms).toFixed(2)}× PyTorch` : ''}` });
  if (conv) figures.push({ name: `${name}: its convolutions at the wasm SIMD peak`, value: conv.atPeakMs, unit: 'ms', note: `${conv.gflop.toFixed(1)} GFLOP per step${torch ? `; ${(conv.atPeakMs / torch.ms).toFixed(2)}× PyTorch's whole step` : ''}; wasm's ran at ${conv.wasmGflops.toFixed(0)} GFLOP/s (${((100 * conv.wasmGflops) / peak.gflops).toFixed(0)} % of the peak)` });
  if (gpu) figures.push({ name: `${name}: webgpu step (${adapterName})`, value: gpu, unit: 'ms', note: `${((1000 * BATCH) / gpu).toFixed(0)} img/s${torch ? `; ${(gpu / torch.ms).toFixed(2)}× PyTorch` : ''}` });
  if (cpu) figures.push({ name: `${name}: cpu step at batch ${CPU_BATCH}`, value: cpu, unit: 'ms', note: `${((1000 * CPU_BATCH) / cpu).toFixed(1)} img/s (shortened run)` });
  results[name] = { batch: BATCH, pytorch: torch, wasm: { ...per(wasm, BATCH), threads: getThreadsCount() }, webgpu: gpu && { ...per(gpu, BATCH), adapter: adapterName }, cpu: cpu && { ...per(cpu, CPU_BATCH), batch: CPU_BATCH }, convolutions: conv, ratioWasmToPytorch: torch && wasm / torch.ms, ratioWebgpuToPytorch: torch && gpu && gpu / torch.ms };
}
if (!args['skip-knn']) {
  await tf.setBackend(webgpu ?? 'wasm');
  const program = compile(template('simsiam'), { dataset, batchSize: 32, steps: 1 });
  program.init();
  const t0 = performance.now();
  const e = await program.evaluate({ bank: 10_000, queries: 2_000 });
  figures.push({ name: `kNN evaluation, bank ${e.bank}, ${e.queries} queries (${tf.getBackend()})`, value: (performance.now() - t0) / 1000, unit: 's', note: `random-init top-1 ${(100 * e.knnTop1).toFixed(1)} %` });
  program.dispose();
}

if (!args['skip-probe']) {
  await tf.setBackend(webgpu ?? 'wasm');
  const { train, test } = dataset;
  // random ReLU features: pixels [N, 784] × a fixed Gaussian [784, 256], so the probe's problem has an encoder's size
  const projection = tf.randomNormal([train.height * train.width * train.channels, 256], 0, 1 / 28, 'float32', 7) as Tensor2D;
  const features = [train, test].map((set) => tf.tidy(() => tf.relu(tf.matMul(pixelFeatures(set), projection)) as Tensor2D));
  const t0 = performance.now();
  const r = await linearProbe({ features: features[0], labels: train.labels }, { features: features[1], labels: test.labels }, dataset.classes);
  figures.push({ name: `linear probe, ${r.train}/${r.test} features of 256 (${tf.getBackend()})`, value: (performance.now() - t0) / 1000, unit: 's', note: `${r.iterations} L-BFGS iterations (${r.stop}), ${r.evaluations} evaluations; top-1 ${(100 * r.top1).toFixed(1)} %` });
  tf.dispose([projection, ...features]);
}

const json = JSON.stringify({ figures, steps: results }, null, 2);
if (args['json-out']) writeFileSync(args['json-out'], `${json}\n`);
if (args.json) {
  console.log(json);
} else {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) console.log(`${f.name.padEnd(width)}  ${f.value.toFixed(f.unit === 's' ? 2 : 3).padStart(10)} ${f.unit}${f.note ? `   (${f.note})` : ''}`);
}
