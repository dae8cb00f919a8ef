/**
 * The same linear probe in the runtime and in the exported script: on the
 * same encoder weights (encoder.safetensors, as a CLI run writes them, loaded
 * by the script's load_encoder), a random-init encoder and one trained for 20
 * steps, on the first 3000 train and 1000 test images of Fashion-MNIST, the
 * two top-1s agree within 0.5 points; the raw pixels (the identity
 * "encoder"), the reference, as well.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { encoderTensors, loadEncoderTensors } from '../../src/runtime/export';
import { probeEncoder, probePixels, type LinearProbeResult } from '../../src/runtime/linear-probe';
import { compile } from '../../src/runtime/program';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors';
import { template } from '../helpers/docs';
import { FMNIST, PYTHON, records, tinyFashionMnist } from '../helpers/python';
import { ONE_THREAD, runScript } from '../helpers/script';
import { tfOn } from '../helpers/runtime';

const SIZES = { train: 3000, test: 1000 };
const dir = mkdtempSync(join(tmpdir(), 'linear-probe-'));

// The script as a module: its encoder from the safetensors file, its probe on the same subset (weights: "" for raw pixels).
const PROBE_PY = String.raw`
import importlib.util, json, sys
script, weights, data, n, m = sys.argv[1:6]
spec = importlib.util.spec_from_file_location('exported', script)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
(tx, ty), (vx, vy) = train.load_data(train.DATASET['source'], data)
tx, ty, vx, vy = tx[:int(n)], ty[:int(n)], vx[:int(m)], vy[:int(m)]
if weights:
    graph = train.Graph()
    train.load_encoder(graph, train.load_safetensors(weights))
    graph.train()  # the probe must put the encoder in eval mode itself
    r = train.probe_encoder(getattr(graph, train.ENCODER), tx, ty, vx, vy, train.CROP_SIZE)
    r['restored'] = getattr(graph, train.ENCODER).training
else:
    pixels = lambda x: x.reshape(len(x), -1).float() / 255
    r = train.linear_probe(pixels(tx), ty, pixels(vx), vy, 10)
print(json.dumps(r))
`;

const scriptProbe = async (weights: string): Promise<LinearProbeResult & { restored?: boolean }> => {
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', PROBE_PY, join(dir, 'train.py'), weights, FMNIST, String(SIZES.train), String(SIZES.test)], { env: ONE_THREAD, maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
};

let dataset: Dataset;
beforeAll(async () => {
  await tfOn('wasm');
  dataset = await loadDatasetSpec('fashion-mnist');
  writeFileSync(join(dir, 'train.py'), exportPytorch(template('simsiam')));
});

const report = (what: string, ours: LinearProbeResult, theirs: LinearProbeResult) =>
  console.log(`${what}: ours ${(100 * ours.top1).toFixed(2)} % (${ours.iterations} iterations, ${ours.stop}), the script's ${(100 * theirs.top1).toFixed(2)} % (${theirs.iterations}, ${theirs.stop}); objective ${ours.loss.toFixed(6)} vs ${theirs.loss.toFixed(6)}`);

describe('the linear probe: runtime and exported script on the same weights', () => {
  it.each([['random-init', 0], ['trained 20 steps', 20]] as const)('SimSiam\'s encoder, %s: top-1 within 0.5 points, both converged, the script restores train mode', async (what, steps) => {
    const program = compile(template('simsiam'), { dataset, batchSize: 32, steps: Math.max(steps, 1) });
    program.init(5);
    try {
      for (let k = 0; k < steps; k++) await program.step();
      const weights = join(dir, `encoder-${steps}.safetensors`);
      writeFileSync(weights, encodeSafetensors(await encoderTensors(program)));
      const [ours, theirs] = await Promise.all([probeEncoder(program, dataset, SIZES), scriptProbe(weights)]);
      report(what, ours, theirs);
      expect(theirs).toMatchObject({ train: 3000, test: 1000, restored: true });
      expect(ours).toMatchObject({ train: 3000, test: 1000 });
      for (const r of [ours, theirs]) expect(r.stop).not.toBe('iterations');
      expect(Math.abs(ours.top1 - theirs.top1)).toBeLessThanOrEqual(0.005);
      // a real classifier of 10 classes on these features, far above chance
      expect(ours.top1).toBeGreaterThan(0.5);
    } finally {
      program.dispose();
    }
  }, 300_000);

  it('raw pixels (the reference row): top-1 within 0.5 points', async () => {
    const [ours, theirs] = await Promise.all([probePixels(dataset, SIZES), scriptProbe('')]);
    report('raw pixels', ours, theirs);
    expect(Math.abs(ours.top1 - theirs.top1)).toBeLessThanOrEqual(0.005);
    expect(ours.top1).toBeGreaterThan(0.7);
  }, 300_000);

  it('the script\'s --probe: its done line carries probeTop1, the runtime\'s probe of its encoder.safetensors on the same data; without --probe none', async () => {
    const data = tinyFashionMnist(join(dir, 'tiny'), 64, 32);
    const args = ['--data', data, '--steps', '2', '--batch', '8'];
    const [probed, plain] = [await runScript(join(dir, 'train.py'), [...args, '--probe', '--out', join(dir, 'run')]), await runScript(join(dir, 'train.py'), [...args, '--out', join(dir, 'plain')])];
    expect(probed.code, probed.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const done = records(probed.stdout).at(-1)!;
    expect(done).toMatchObject({ done: true, steps: 2 });
    expect('probeTop1' in records(plain.stdout).at(-1)!).toBe(false);

    const tiny = await loadDatasetSpec(`fashion-mnist=${data}`);
    const program = compile(template('simsiam'), { dataset: tiny, batchSize: 8, steps: 2 });
    program.init();
    try {
      loadEncoderTensors(program, decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'run', 'encoder.safetensors')))).tensors, 'encoder.safetensors');
      const ours = await probeEncoder(program, tiny);
      expect(ours).toMatchObject({ train: 64, test: 32 });
      // 32 test images: 0.5 points is less than one image, so the same count
      expect(done.probeTop1).toBe(ours.top1);
      expect(ours.top1).toBeGreaterThan(0.2); // ten classes: above chance even after 2 steps
    } finally {
      program.dispose();
    }
  }, 300_000);
});
