/**
 * The exported PyTorch script, run with Debian's python3-torch
 * (/usr/bin/python3; `apt-get install -y python3-torch`).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { catalog, catalogOf, nodeKinds, validate } from '../../src/nodes';
import { moduleAttribute } from '../../src/nodes/python';
import type { Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { encoderTensors, loadEncoderTensors } from '../../src/runtime/export';
import { compile } from '../../src/runtime/program';
import { exportPytorch, ExportError, sha256Hex } from '../../src/runtime/pytorch/export';
import { decodeSafetensors } from '../../src/runtime/safetensors';
import { ATEN_DEFAULT, formatTable, ONEDNN_AVX2, parity, PYTHON, THIS_CPU } from '../../parity/harness';
import { template } from '../helpers/docs';
import { tfOn, tiny } from '../helpers/runtime';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pytorch-'));
const FMNIST = '/usr/share/datasets/fashion-mnist';
const root = new URL('../..', import.meta.url).pathname;
let tf: typeof tfc;
let dataset: Dataset;

beforeAll(async () => {
  if (!existsSync(PYTHON) || (await run(PYTHON, ['-c', 'import torch']).then(() => false, () => true))) {
    throw new Error(`PyTorch is missing: run \`apt-get install -y python3-torch\` (npm test does this when run as root)`);
  }
  tf = await tfOn('wasm');
  dataset = await loadDatasetSpec('fashion-mnist');
});

const script = (name: 'simsiam' | 'byol') => {
  const path = join(dir, `${name}.py`);
  writeFileSync(path, exportPytorch(template(name)));
  return path;
};
const jsonl = (text: string) => text.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe('export-pytorch', () => {
  it.each(['simsiam', 'byol'] as const)('%s: a script that compiles, names its document and has one module per module node', async (name) => {
    const path = script(name);
    await run(PYTHON, ['-m', 'py_compile', path]);
    const text = readFileSync(path, 'utf8');
    const doc = template(name);
    expect(text).toContain(`exported by Siamese Studio from the graph document\n"${doc.name}" (format v2, sha256 ${sha256Hex(serializeGraph(doc)).slice(0, 16)}`);
    const traits = validate(doc).traits;
    for (const n of doc.nodes.filter((n) => traits.get(n.id)!.module)) expect(text).toContain(`self.${moduleAttribute(n.id)} = `);
    expect(text).toContain('Grill et al. 2020');
  });

  it('runs on one process: 3 steps write JSONL and encoder.safetensors', async () => {
    const out = join(dir, 'one');
    const { stdout } = await run(PYTHON, [script('simsiam'), '--data', FMNIST, '--steps', '3', '--batch', '32', '--out', out], { cwd: dir });
    const records = jsonl(stdout);
    expect(records.map((r) => r.step ?? 'done')).toEqual([1, 2, 3, 'done']);
    for (const r of records.slice(0, 3)) for (const k of ['loss', 'collapseStd', 'lr', 'imagesPerSec']) expect(Number.isFinite(r[k])).toBe(true);
    expect('effRank' in records[2]).toBe(true);
    // the done line is the CLI's: the last step's figures and the one collapse rule's verdict
    const { loss, collapseStd, stdReference, effRank } = records[2];
    expect(records[3]).toMatchObject({ done: true, steps: 3, loss, collapseStd, stdReference, effRank, dim: 128 });
    expect(records[3].collapsed).toBe(collapseStd < 0.1 / Math.sqrt(128) || effRank < 12.8);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(stdout);
    const enc = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
    expect(enc.tensors['blocks.3.conv.weight'].shape).toEqual([256, 128, 3, 3]);
  }, 120_000);

  it('runs under torchrun with 2 processes (gloo): both ranks end with identical weights', async () => {
    // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0.
    const { stdout, stderr } = await run('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', script('byol'),
      '--data', FMNIST, '--steps', '3', '--batch', '32', '--out', join(dir, 'ddp'), '--checksum'], { cwd: dir, maxBuffer: 16 << 20 });
    // the ranks write to the same stream at once: pick the records out rather than split lines
    const checks = [...(stderr + stdout).matchAll(/\{"rank": (\d+), "checksum": "([0-9a-f]+)"\}/g)].map((m) => ({ rank: Number(m[1]), checksum: m[2] }));
    expect(checks.map((c) => c.rank).sort()).toEqual([0, 1]);
    expect(checks[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(checks[0].checksum).toBe(checks[1].checksum);
    const steps = readFileSync(join(dir, 'ddp', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps.map((r) => r.step ?? r.world)).toEqual([1, 2, 3, 2]);
  }, 180_000);

  it.each(['simsiam', 'byol'] as const)("%s: parity with the tfjs runtime holds (loss, gradients, state after 1 and 3 steps) under this CPU's PyTorch kernels and other CPUs'", async (name) => {
    const tables = await parity(tf, template(name), dataset, [THIS_CPU, ATEN_DEFAULT, ONEDNN_AVX2]);
    expect([...tables.keys()]).toEqual([THIS_CPU.label, ATEN_DEFAULT.label, ONEDNN_AVX2.label]);
    for (const [label, rows] of tables) {
      expect(rows.every((r) => r.ok), formatTable(`${name}, PyTorch on ${label}`, rows)).toBe(true);
      expect(rows).toHaveLength(5);
    }
  }, 180_000);

  it('a change of BatchNorm semantics on the PyTorch side fails parity, naming the tensor (test hook PARITY_TORCH_PERTURB)', async () => {
    const momentum = { label: 'momentum 0.11', env: { PARITY_TORCH_PERTURB: 'bn-momentum-0.11' } };
    const biased = { label: 'biased running variance', env: { PARITY_TORCH_PERTURB: 'bn-biased-var' } };
    const tables = await parity(tf, template('simsiam'), dataset, [momentum, biased]);
    for (const [label, names] of [[momentum.label, /\.bn\.running_(mean|var)$/], [biased.label, /\.bn\.running_var$/]] as const) {
      const rows = tables.get(label)!;
      const table = formatTable(`simsiam, PyTorch with ${label}`, rows);
      // the batch statistics in training are unchanged: only the running statistics tell, after step 1 already
      expect(rows.map((r) => r.ok), table).toEqual([true, true, true, false, false]);
      for (const r of rows.slice(3)) expect(r.where, table).toMatch(names);
    }
  }, 180_000);

  it('refuses a node kind without a PyTorch emitter, naming it, and an image-folder dataset', () => {
    // a catalog of its own in which stop-gradient has no emitter: the built-in one stays as it is
    const withoutEmitter = catalogOf(nodeKinds.map((k) => (k.type === 'stop-gradient' ? { ...k, pytorch: undefined } : k)));
    expect(() => exportPytorch(template('simsiam'), withoutEmitter)).toThrow(new ExportError('no PyTorch emitter for node "sg" (stop-gradient): refusing to write a script that would compute something else'));
    expect(catalog.get('stop-gradient')!.pytorch).toBeDefined();
    const doc = template('simsiam');
    doc.nodes[0].params = { source: 'image-folder', size: 28, channels: 1 };
    expect(() => exportPytorch(doc)).toThrow(/image-folder/);
  });
});

describe('weights between the runtime and the script', () => {
  it("the script's encoder.safetensors loads into the runtime exactly, and the CLI's into the script", async () => {
    const file = join(dir, 'one', 'encoder.safetensors');
    if (!existsSync(file)) await run(PYTHON, [script('simsiam'), '--data', FMNIST, '--steps', '1', '--batch', '32', '--out', join(dir, 'one')], { cwd: dir });
    const saved = decodeSafetensors(new Uint8Array(readFileSync(file))).tensors;
    const program = compile(template('byol'), { dataset, batchSize: 8, steps: 2 });
    program.init(1);
    loadEncoderTensors(program, saved, file);
    const back = await encoderTensors(program);
    for (const [name, t] of Object.entries(saved)) expect(Array.from(back[name].data), name).toEqual(Array.from(t.data));
    const target = await program.variables().get('enc_t.blocks.0.conv.weight')!.data();
    expect(Array.from(target)).toEqual(Array.from(await program.variables().get('enc.blocks.0.conv.weight')!.data()));
    program.dispose();

    const cli = await run(process.execPath, [join(root, 'bin/siamese-studio.mjs'), 'train', 'templates/simsiam.json', '--data', 'fashion-mnist', '--steps', '1', '--batch', '16',
      '--backend', 'wasm', '--init-from', file, '--out', join(dir, 'cli')], { cwd: root });
    expect(cli.stderr).toContain('done: 1 steps');
    const back2 = await run(PYTHON, [script('simsiam'), '--data', FMNIST, '--steps', '1', '--batch', '16', '--out', join(dir, 'back'), '--init-from', join(dir, 'cli', 'encoder.safetensors')], { cwd: dir });
    expect(jsonl(back2.stdout).pop()).toMatchObject({ done: true, steps: 1 });
  }, 180_000);

  it('weights of another architecture are refused with the names that do not fit', async () => {
    const program = compile(tiny('simsiam'), { dataset, batchSize: 8, steps: 2 });
    program.init(1);
    const saved = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'one', 'encoder.safetensors')))).tensors;
    expect(() => loadEncoderTensors(program, saved, 'big.safetensors')).toThrow(/^big\.safetensors: the weights do not fit the encoder "enc"; unexpected blocks\.2/);
    program.dispose();
  });

  it('the provenance hash is SHA-256', () => {
    for (const text of ['', 'abc', 'x'.repeat(1000), serializeGraph(template('byol'))]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});
