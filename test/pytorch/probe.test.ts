/**
 * The exported script probes the effective rank as the runtime does: the same
 * 512 images, the same preprocessing, eval mode, the same nodes — checked on
 * the same weights (after 3 steps, so the running statistics are not their
 * initial 0 and 1), first on the probe outputs, then on the ranks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { toTorchLayout } from '../../src/runtime/export';
import { symmetricEigenvalues } from '../../src/runtime/eigen';
import { covariance, effectiveRank, effectiveRankFromEigenvalues } from '../../src/runtime/metrics';
import { compile } from '../../src/runtime/program';
import { exportPytorch, pythonNames } from '../../src/runtime/pytorch/export';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../../src/runtime/safetensors';
import { template } from '../helpers/docs';
import { tfOn } from '../helpers/runtime';

const PYTHON = '/usr/bin/python3';
const FMNIST = '/usr/share/datasets/fashion-mnist';
const dir = mkdtempSync(join(tmpdir(), 'probe-'));
let tf: typeof tfc;
beforeAll(async () => { tf = await tfOn('wasm'); });

// Loads the script as a module, its Graph from the runtime's state, and probes as its training loop does.
const PROBE_PY = String.raw`
import importlib.util, json, sys, torch
script, folder, data = sys.argv[1:4]
spec = importlib.util.spec_from_file_location('exported', script)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
names = json.load(open(f'{folder}/names.json'))
graph = train.Graph()
state = {f'{names[k.split(".", 1)[0]]}.{k.split(".", 1)[1]}': v for k, v in train.load_safetensors(f'{folder}/state.safetensors').items()}
missing, unexpected = graph.load_state_dict(state, strict=False)
missing = [m for m in missing if not m.endswith('num_batches_tracked')]
assert not missing and not unexpected, (missing, unexpected)
(_, _), (test_x, _) = train.load_data(train.DATASET['source'], data)
view = train.eval_view(test_x[:train.PROBE_SIZE], train.CROP_SIZE)
before = {k: v.clone() for k, v in graph.state_dict().items()}
graph.train()
rank_z, rank_features = train.probe_ranks(graph, view)
restored = graph.training
unchanged = all(torch.equal(before[k], v) for k, v in graph.state_dict().items())
graph.eval()
with torch.no_grad():
    out = graph.probe(view)
train.save_safetensors({'z': out['z'], 'features': out['features']}, f'{folder}/probe.safetensors')
print(json.dumps(dict(count=len(view), rank_z=rank_z, rank_features=rank_features, restored=restored, unchanged=unchanged)))
`;

/** RankMe in float64 from float32 rows (the runtime's formula). */
const rankOf = (rows: Float32Array, n: number, d: number) => {
  const { matrix, n: m } = covariance(rows, n, d);
  return { rank: effectiveRankFromEigenvalues(symmetricEigenvalues(matrix, m)), sigma: Array.from(symmetricEigenvalues(matrix, m), (l) => Math.sqrt(Math.max(l, 0))) };
};

/**
 * How far RankMe can move when every singular value moves by at most e
 * (Weyl: e = ‖ΔZ‖_F/√(n−1) for rows Z that differ by ΔZ): p_i = σ_i/Σσ moves
 * by at most (e + p_i·d·e)/(Σσ − d·e), and H = −Σ p log p (p floored by 1e-7,
 * as RankMe does) by at most Σ |Δp_i|·(1 + |log p_i,min|). The rank is exp(H).
 */
function rankTolerance(sigma: number[], e: number, rank: number): number {
  const d = sigma.length;
  const total = sigma.reduce((a, b) => a + b, 0);
  let dH = 0;
  for (const s of sigma) {
    const p = s / total;
    const dp = (e + p * d * e) / (total - d * e);
    dH += dp * (1 + Math.abs(Math.log(Math.max(p - dp, 0) + 1e-7)));
  }
  return rank * (Math.exp(dH) - 1);
}

describe('the probe in the exported script', () => {
  it('SimSiam after 3 steps: the same probe outputs and the same ranks as the runtime on the same weights; the script restores train mode and changes no state', async () => {
    const dataset = await loadDatasetSpec('fashion-mnist');
    const doc = template('simsiam');
    const program = compile(doc, { dataset, batchSize: 16, steps: 3 });
    program.init(3);
    try {
      for (let k = 0; k < 3; k++) await program.step();
      const state: Record<string, NamedArray> = {};
      for (const [key, t] of program.variables()) state[key] = toTorchLayout((await t.data()) as Float32Array, t.shape);
      writeFileSync(join(dir, 'state.safetensors'), encodeSafetensors(state));
      writeFileSync(join(dir, 'names.json'), JSON.stringify(Object.fromEntries(pythonNames(doc.nodes.map((n) => n.id)))));
      writeFileSync(join(dir, 'train.py'), exportPytorch(doc));
      const ours = program.probeOutputs();
      const mine = { z: (await ours.z.data()) as Float32Array, features: (await ours.features.data()) as Float32Array };
      const ranks = { z: await effectiveRank(ours.z), features: await effectiveRank(ours.features) };
      tf.dispose([ours.z, ours.features]);

      const { stdout } = await promisify(execFile)(PYTHON, ['-c', PROBE_PY, join(dir, 'train.py'), dir, FMNIST], { maxBuffer: 16 << 20 });
      const py = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(py).toMatchObject({ count: 512, restored: true, unchanged: true });
      const theirs = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'probe.safetensors')))).tensors;

      for (const [what, d] of [['z', 128], ['features', 256]] as const) {
        const a = mine[what];
        const b = theirs[what].data;
        expect(theirs[what].shape).toEqual([512, d]);
        // the outputs: float32 forwards of the same weights differ by rounding only (the parity harness's 1e-4 of the scale)
        let diff2 = 0;
        let scale = 0;
        for (let i = 0; i < a.length; i++) { diff2 += (a[i] - b[i]) ** 2; scale = Math.max(scale, Math.abs(b[i])); }
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        expect(worst, what).toBeLessThan(1e-4 * scale);
        // the ranks: the script's (float64 SVD) against ours, within what that difference of the rows allows
        const { rank, sigma } = rankOf(b, 512, d);
        const tolerance = rankTolerance(sigma, Math.sqrt(diff2 / 511), rank);
        const pyRank = what === 'z' ? py.rank_z : py.rank_features;
        expect(Math.abs(pyRank - rank), `${what}: the script's rank on its own rows`).toBeLessThan(1e-6 * rank);
        expect(Math.abs(ranks[what] - pyRank), `${what}: ours ${ranks[what]} vs the script's ${pyRank} (tolerance ${tolerance})`).toBeLessThanOrEqual(tolerance);
        console.log(`${what}: rank ours ${ranks[what].toFixed(4)} script ${pyRank.toFixed(4)} (tolerance ${tolerance.toExponential(2)}), max |Δ| ${worst.toExponential(2)} of scale ${scale.toFixed(3)}`);
      }
    } finally {
      program.dispose();
    }
  }, 180_000);
});
