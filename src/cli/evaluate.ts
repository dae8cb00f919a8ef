/**
 * siamese-studio evaluate RUN_DIR [--probe] [--knn] [--data SPEC] [--backend B] [--json]
 * Evaluates a finished run folder (train --out): its graph.json, compiled,
 * with the online encoder from its encoder.safetensors; the kNN monitor (the
 * document's bank and query sizes) and the linear probe (linear-probe.ts:
 * the whole splits), both without --probe and --knn. Exit 0 evaluated, 1 the
 * folder's graph is invalid, 2 bad input (not a run folder, a missing or
 * unreadable file, weights that do not fit the graph, the data).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorsOf, formatProblem, parseGraph } from '../graph';
import { validate } from '../nodes';
import type { Dataset } from '../runtime/data/dataset';
import { loadDatasetSpec } from '../runtime/data/node';
import { loadEncoderTensors } from '../runtime/export';
import { probeEncoder, type LinearProbeResult } from '../runtime/linear-probe';
import { compile, type TrainingProgram } from '../runtime/program';
import { decodeSafetensors, SafetensorsError } from '../runtime/safetensors';
import { selectBackend, type BackendChoice } from '../runtime/tf/backends';
import { loadTfNode } from '../runtime/tf/node';
import { checkDataFits } from './data-fit';
import { readRegularFile } from './files';
import { CliError, type Io } from './io';
import { ProgressBar } from './progress';
import { readDocumentText } from './read';
import { isRunFolder, RUN_FILE } from './run-folder';

const USAGE = 'usage: siamese-studio evaluate RUN_DIR [--probe] [--knn] [--data fashion-mnist[=DIR]|cifar10=DIR] [--backend auto|wasm|cpu] [--json]';
/** The CPU backends: an evaluation is a few forward passes and the probe, no reason to start a GPU (train's --backend webgpu does). */
const BACKENDS = ['auto', 'wasm', 'cpu'] as const;
const ENCODER_FILE = 'encoder.safetensors';

/** The linear probe of the program's encoder on the whole splits, a progress bar on a terminal and, unless quiet, its summary line. */
export async function runProbe(program: TrainingProgram, dataset: Dataset, io: Io, quiet: boolean): Promise<LinearProbeResult> {
  const bar = !quiet && process.stderr.isTTY ? new ProgressBar(1000) : undefined;
  if (!quiet) io.err(`linear probe: encoding ${dataset.train.count} train and ${dataset.test.count} test images…`);
  try {
    const r = await probeEncoder(program, dataset, {}, { onProgress: (p) => bar?.update(p.iteration, `probe loss ${p.loss.toFixed(5)} max|g| ${p.gradient.toExponential(1)}`) });
    bar?.finish();
    const why = r.stop === 'gradient' ? 'converged' : r.stop === 'line-search' ? 'at float precision' : 'iteration cap';
    if (!quiet) io.err(`linear probe top-1 ${(100 * r.top1).toFixed(2)} % (${r.train} train, ${r.test} test; ${r.iterations} L-BFGS iterations, ${why})`);
    return r;
  } catch (e) {
    bar?.finish();
    throw e;
  }
}

export async function evaluateCommand(args: string[], io: Io): Promise<number> {
  const opts = parseOptions(args);
  const { dir } = opts;
  if (!isRunFolder(dir)) throw new CliError(`${dir}: not a Siamese Studio run folder (no ${RUN_FILE} of train --out)`);
  const graphFile = join(dir, 'graph.json');
  const parsed = parseGraph(await readDocumentText(graphFile));
  if (!parsed.ok) throw new CliError(`${graphFile}: ${parsed.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const errors = errorsOf(validate(parsed.doc).problems);
  if (errors.length) {
    io.err(`siamese-studio: ${graphFile} has ${errors.length} error${errors.length > 1 ? 's' : ''}:`);
    for (const p of errors) io.err(`  ${formatProblem(p)}`);
    return 1;
  }
  const weightsFile = join(dir, ENCODER_FILE);
  let weights;
  try {
    weights = decodeSafetensors(new Uint8Array(readRegularFile(weightsFile, 2 ** 31 - 1, 'safetensors file')), weightsFile);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CliError(e.message);
    throw e;
  }
  const tf = await loadTfNode();
  const backend = await selectBackend(tf, opts.backend, { webgpu: 'evaluate runs on the best CPU backend' }).catch((e: Error) => { throw new CliError(e.message); });
  let dataset: Dataset;
  try {
    dataset = await loadDatasetSpec(opts.data);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  checkDataFits(parsed.doc, dataset, 0, { data: opts.data }); // the channels; batch 0: nothing is trained
  // nothing is trained: the batch only has to fit the sampler
  const program = compile(parsed.doc, { dataset, batchSize: Math.min(parsed.doc.training.batchSize, dataset.train.count) });
  try {
    program.init();
    try {
      loadEncoderTensors(program, weights.tensors, weightsFile);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const step = weights.metadata.step;
    const result: Record<string, unknown> = { run: dir, graph: parsed.doc.name, step: step === undefined ? null : Number(step), backend: backend.name };
    if (!opts.json) io.err(`evaluating "${parsed.doc.name}"${step === undefined ? '' : ` after step ${step}`} (${weightsFile}) on ${dataset.name}, backend ${backend.name}`);
    if (opts.knn) {
      const e = await program.evaluate();
      Object.assign(result, { knnTop1: e.knnTop1, bank: e.bank, queries: e.queries });
      if (!opts.json) io.err(`kNN top-1 ${(100 * e.knnTop1).toFixed(2)} % (${e.queries} queries, bank of ${e.bank})`);
    }
    if (opts.probe) {
      const r = await runProbe(program, dataset, io, opts.json);
      Object.assign(result, { probeTop1: r.top1, probe: { train: r.train, test: r.test, iterations: r.iterations, evaluations: r.evaluations, loss: r.loss, stop: r.stop } });
    }
    if (opts.json) io.out(JSON.stringify(result));
    return 0;
  } finally {
    program.dispose();
  }
}

interface Options { dir: string; probe: boolean; knn: boolean; data: string; backend: BackendChoice; json: boolean }

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        probe: { type: 'boolean', default: false }, knn: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
        data: { type: 'string', default: 'fashion-mnist' }, backend: { type: 'string', default: 'auto' },
      },
    });
  } catch (e) {
    throw new CliError(`evaluate: ${(e as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) throw new CliError(USAGE);
  if (!(BACKENDS as readonly string[]).includes(v.backend!)) throw new CliError(`evaluate: --backend must be one of ${BACKENDS.join(', ')}, got "${v.backend}"`);
  const both = !v.probe && !v.knn; // neither named: both
  return { dir: positionals[0], probe: v.probe! || both, knn: v.knn! || both, data: v.data!, backend: v.backend as BackendChoice, json: v.json! };
}
