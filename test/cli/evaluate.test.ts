/**
 * train --probe and evaluate RUN_DIR: the linear probe's top-1 in the done
 * line, and the same figures again from the run folder alone (its graph.json
 * and encoder.safetensors); refusals in one line.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../src/graph';
import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors';
import { cli, jsonLines } from '../helpers/cli';
import { tinyFashionMnist } from '../helpers/python';
import { tiny } from '../helpers/runtime';

const dir = mkdtempSync(join(tmpdir(), 'siamese-evaluate-'));
// real images, few of them: a probe of the tiny encoder above chance in seconds
const data = `fashion-mnist=${tinyFashionMnist(join(dir, 'data'), 600, 300)}`;
const graph = join(dir, 'tiny.json');
const doc = tiny('simsiam');
Object.assign(doc.training.evaluation, { bankSize: 0, querySize: 0 });
writeFileSync(graph, serializeGraph(doc));

describe('the linear probe in the CLI', () => {
  it('train --probe: probeTop1 in the done record; evaluate RUN_DIR gives the same probe and kNN figures from the folder; the text lines say them', async () => {
    const out = join(dir, 'run');
    const r = await cli('train', graph, '--data', data, '--steps', '4', '--batch', '16', '--backend', 'wasm', '--eval-every', '4', '--probe', '--out', out, '--jsonl');
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines(r.stdout);
    const done = records.at(-1);
    const knn = records.find((x) => 'knnTop1' in x);
    expect(done).toMatchObject({ done: true, steps: 4 });
    expect(done.probeTop1).toBeGreaterThan(0.2); // ten classes: chance is 0.1
    expect(done.probeTop1).toBeLessThanOrEqual(1);
    expect(JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!).probeTop1).toBe(done.probeTop1);

    const e = await cli('evaluate', out, '--data', data, '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toBe('');
    const result = JSON.parse(e.stdout);
    // the same encoder, the same data, the same deterministic protocol: the same figures
    expect(result).toMatchObject({ run: out, graph: 'SimSiam', step: 4, knnTop1: knn.knnTop1, bank: 600, queries: 300, probeTop1: done.probeTop1 });
    expect(result.probe).toMatchObject({ train: 600, test: 300, stop: expect.stringMatching(/^(gradient|line-search)$/) });

    const onlyProbe = await cli('evaluate', out, '--data', data, '--probe');
    expect(onlyProbe.code, onlyProbe.stderr).toBe(0);
    expect(onlyProbe.stdout).toBe('');
    expect(onlyProbe.stderr).toMatch(/^evaluating "SimSiam" after step 4 \(.*encoder\.safetensors\) on fashion-mnist, backend wasm\n/);
    expect(onlyProbe.stderr).toContain(`linear probe top-1 ${(100 * done.probeTop1).toFixed(2)} % (600 train, 300 test; `);
    expect(onlyProbe.stderr).not.toContain('kNN');
    const onlyKnn = await cli('evaluate', out, '--data', data, '--knn', '--json');
    expect(JSON.parse(onlyKnn.stdout)).not.toHaveProperty('probeTop1');
    expect(JSON.parse(onlyKnn.stdout).knnTop1).toBe(knn.knnTop1);

    const text = await cli('train', graph, '--data', data, '--steps', '2', '--batch', '16', '--backend', 'wasm', '--probe');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/\ndone: 2 steps in \d+:\d\d, loss \d\.\d{4}, linear probe top-1 \d+\.\d\d %\n$/);
  }, 300_000);

  it('evaluate on data smaller than the document\'s batch (256): nothing is trained, so it evaluates', async () => {
    const out = join(dir, 'run-small');
    expect((await cli('train', graph, '--data', data, '--steps', '1', '--batch', '16', '--backend', 'wasm', '--out', out)).code).toBe(0);
    const small = `fashion-mnist=${tinyFashionMnist(join(dir, 'small'), 100, 40)}`;
    const r = await cli('evaluate', out, '--data', small, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ bank: 100, queries: 40, probe: { train: 100, test: 40 } });
  }, 300_000);

  it('evaluate refuses, in one line with exit 2, a folder that is not a run, a run without its weights, weights that do not fit, data of other channels, a bad flag', async () => {
    const out = join(dir, 'run2');
    expect((await cli('train', graph, '--data', data, '--steps', '1', '--batch', '16', '--backend', 'wasm', '--out', out)).code).toBe(0);
    const notRun = join(dir, 'plain');
    mkdirSync(notRun);
    const cases: Array<[string[], RegExp]> = [
      [[notRun], /^siamese-studio: .*plain: not a Siamese Studio run folder \(no run\.json of train --out\)\n$/],
      [[out, '--backend', 'webgpu'], /^siamese-studio: evaluate: --backend must be one of auto, wasm, cpu, got "webgpu"\n$/],
      [[], /^siamese-studio: usage: siamese-studio evaluate RUN_DIR/],
    ];
    const noWeights = join(dir, 'run-no-weights');
    mkdirSync(noWeights);
    for (const f of ['run.json', 'graph.json']) copyFileSync(join(out, f), join(noWeights, f));
    cases.push([[noWeights], /^siamese-studio: cannot read .*run-no-weights\/encoder\.safetensors: no such file or folder \(ENOENT\)\n$/]);
    const unfit = join(dir, 'run-unfit');
    mkdirSync(unfit);
    for (const f of ['run.json', 'graph.json']) copyFileSync(join(out, f), join(unfit, f));
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'encoder.safetensors'))));
    delete tensors['blocks.0.conv.weight'];
    writeFileSync(join(unfit, 'encoder.safetensors'), encodeSafetensors(tensors));
    cases.push([[unfit, '--data', data], /^siamese-studio: .*run-unfit\/encoder\.safetensors: the weights do not fit the encoder "enc"; missing blocks\.0\.conv\.weight\n$/]);
    const cifar = join(dir, 'cifar');
    mkdirSync(cifar);
    for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) writeFileSync(join(cifar, `${name}.bin`), new Uint8Array(2 * 3073));
    cases.push([[out, '--data', `cifar10=${cifar}`], /^siamese-studio: --data cifar10=.*cifar: its images are 32×32×3, but node "data" of the graph gives 28×28×1: the channel counts must match\n$/]);
    for (const [args, message] of cases) {
      const r = await cli('evaluate', ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 300_000);
});
