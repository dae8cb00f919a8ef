/**
 * siamese-studio train GRAPH.json --data fashion-mnist[=DIR] --steps N
 *   [--batch B] [--backend auto|webgpu|wasm|cpu] [--seed S] [--eval-every N]
 *   [--out DIR] [--resume DIR] [--checkpoint-every N] [--jsonl]
 * Exit: 0 trained, 1 invalid graph or a non-finite loss, 2 unreadable input,
 * 130 stopped by Ctrl-C (after the current step, checkpoint written).
 * Checkpoints go to DIR/checkpoint every N steps (default 50), at the end and
 * on Ctrl-C, and only when every tensor is finite; a non-finite loss leaves
 * the last one on disk as it is.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { version_core } from '@tensorflow/tfjs-core';
import { errorsOf, formatProblem, parseGraph, serializeGraph } from '../graph';
import { validate } from '../nodes';
import { loadCheckpoint, saveCheckpoint } from '../runtime/checkpoint';
import type { Dataset } from '../runtime/data/dataset';
import { loadDatasetSpec } from '../runtime/data/node';
import { encoderModel, encoderTensors, loadEncoderTensors } from '../runtime/export';
import { isCollapsed } from '../runtime/metrics';
import { compile, NonFiniteLossError, type StepMetrics, type TrainingProgram } from '../runtime/program';
import { decodeSafetensors, encodeSafetensors } from '../runtime/safetensors';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from '../runtime/tf/backends';
import { enableWebGpu, loadTfNode, probeWebGpu } from '../runtime/tf/node';
import { CliError, type Io } from './io';
import { formatDuration, ProgressBar } from './progress';
import { readDocumentText } from './read';

const USAGE = 'usage: siamese-studio train GRAPH.json --data fashion-mnist[=DIR] --steps N [--batch B] [--backend auto|webgpu|wasm|cpu] [--seed S] [--eval-every N] [--out DIR] [--resume DIR] [--init-from encoder.safetensors] [--checkpoint-every N] [--jsonl]';

export async function trainCommand(args: string[], io: Io): Promise<number> {
  const opts = parseOptions(args);
  const text = await readDocumentText(opts.graph);
  const parsed = parseGraph(text);
  if (!parsed.ok) throw new CliError(`${opts.graph}: ${parsed.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const doc = parsed.doc;
  const errors = errorsOf(validate(doc).problems);
  if (errors.length) {
    io.err(`siamese-studio: ${opts.graph} has ${errors.length} error${errors.length > 1 ? 's' : ''}; training needs none:`);
    for (const p of errors) io.err(`  ${formatProblem(p)}`);
    return 1;
  }

  const tf = await loadTfNode();
  const avoid = await prepareWebGpu(opts.backend);
  const backend = await selectBackend(tf, opts.backend, avoid).catch((e: Error) => { throw new CliError(e.message); });
  let dataset: Dataset;
  try {
    dataset = await loadDatasetSpec(opts.data);
  } catch (e) {
    throw new CliError((e as Error).message);
  }

  const program = compile(doc, { dataset, batchSize: opts.batch, steps: opts.steps, seed: opts.seed });
  try {
    program.init();
    if (opts.initFrom) initFrom(program, opts.initFrom);
    if (opts.resume) resume(program, opts.resume);
    return await run(program, opts, { io, backend: backend.name, backendReason: backend.reason, dataset, doc: serializeGraph(doc) });
  } finally {
    program.dispose();
  }
}

/**
 * WebGPU in Node, where asked for: forced, it must load; for `auto`, a child
 * process looks first, and a software adapter (SwiftShader, lavapipe) is
 * passed over, since wasm trains faster on the same CPU.
 */
async function prepareWebGpu(choice: BackendChoice): Promise<Record<string, string>> {
  if (choice === 'webgpu') {
    if (!(await enableWebGpu())) throw new CliError('backend "webgpu" is not available here: no WebGPU adapter (Node needs a Vulkan driver: a GPU\'s, or VK_ICD_FILENAMES pointing at a software one)');
    return {};
  }
  if (choice !== 'auto') return {};
  const found = probeWebGpu();
  if (!found) return { webgpu: 'no adapter' };
  if (found.software) return { webgpu: `software adapter (${found.architecture || found.vendor || 'CPU'}), slower than wasm` };
  await enableWebGpu();
  return {};
}

interface Context {
  io: Io;
  backend: string;
  backendReason: string;
  dataset: Dataset;
  doc: string;
}

async function run(program: TrainingProgram, opts: Options, ctx: Context): Promise<number> {
  const { io } = ctx;
  const out = opts.out ?? opts.resume;
  const emit = (record: object) => {
    const line = JSON.stringify(record);
    if (opts.jsonl) io.out(line);
    if (out) appendFileSync(join(out, 'metrics.jsonl'), `${line}\n`);
  };
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'graph.json'), ctx.doc);
    if (!opts.resume) writeFileSync(join(out, 'metrics.jsonl'), ''); // a new run starts a new log; --resume appends
  }
  const total = program.totalSteps;
  const first = program.stepsDone;
  if (!opts.jsonl) {
    io.err(`training "${program.doc.name}" on ${ctx.dataset.name} (${ctx.dataset.train.count} images): ${total} steps × batch ${program.settings.batchSize}, backend ${ctx.backend} (${ctx.backendReason})${first ? `, resuming at step ${first}` : ''}`);
  }
  const bar = !opts.jsonl && process.stderr.isTTY ? new ProgressBar(total) : undefined;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: stop now
    interrupted = true;
    io.err('\nsiamese-studio: stopping after this step (Ctrl-C again to abort)…');
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  let last: StepMetrics | undefined;
  let failure: string | undefined;
  /** The step of the last checkpoint written. */
  let saved: number | undefined;
  try {
    while (program.stepsDone < total && !interrupted) {
      // On wasm and cpu a step settles in microtasks only: yield to the event
      // loop, or Ctrl-C (and output) would wait for the end of training.
      await new Promise((resolve) => setImmediate(resolve));
      if (interrupted) break;
      try {
        last = await program.step();
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        failure = e.message;
        break;
      }
      emit(stepRecord(last));
      bar?.update(last.step, `loss ${last.loss.toFixed(4)} std ${last.collapseStd.toFixed(4)}`);
      if (!bar && !opts.jsonl && (last.step % 10 === 0 || last.step === total)) {
        io.err(`step ${last.step}/${total}  loss ${last.loss.toFixed(4)}  std ${last.collapseStd.toFixed(4)} (1/√d ${last.stdReference.toFixed(4)})  ${last.imagesPerSec.toFixed(1)} img/s`);
      }
      if (opts.evalEvery > 0 && last.step % opts.evalEvery === 0) {
        const e = await program.evaluate();
        emit({ step: last.step, knnTop1: e.knnTop1, bank: e.bank, queries: e.queries });
        if (!opts.jsonl) io.err(`step ${last.step}: kNN top-1 ${(100 * e.knnTop1).toFixed(2)} % (${e.queries} queries, bank of ${e.bank})`);
      }
      if (out && last.step % opts.checkpointEvery === 0) saved = (await writeOutputs(program, out)) ?? saved;
    }
  } finally {
    process.off('SIGINT', onSigint);
    bar?.finish();
  }
  if (out && !failure) saved = (await writeOutputs(program, out)) ?? saved;
  const seconds = (Date.now() - started) / 1000;
  const done: Record<string, unknown> = { done: true, steps: program.stepsDone, backend: ctx.backend, seconds: Math.round(seconds * 1000) / 1000 };
  if (last) {
    Object.assign(done, { loss: last.loss, collapseStd: last.collapseStd, stdReference: last.stdReference, effRank: last.effRank, dim: last.dim });
    done.collapsed = isCollapsed(last.collapseStd, last.effRank, last.dim);
  }
  if (interrupted) done.interrupted = true;
  if (failure) done.error = failure;
  emit(done);
  if (failure) {
    const kept = saved !== undefined ? `; the last checkpoint (step ${saved}) is kept in ${join(out!, 'checkpoint')}` : out ? '; no checkpoint was written before it' : '';
    io.err(`siamese-studio: ${failure}${kept}`);
    return 1;
  }
  if (!opts.jsonl) {
    io.err(`${interrupted ? 'stopped' : 'done'}: ${program.stepsDone} steps in ${formatDuration(seconds)}${last ? `, loss ${last.loss.toFixed(4)}${done.collapsed ? ' — collapsed' : ''}` : ''}${out ? `; wrote ${out}` : ''}`);
  }
  return interrupted ? 130 : 0;
}

function stepRecord(m: StepMetrics) {
  const r: Record<string, number> = { step: m.step, loss: m.loss, collapseStd: m.collapseStd, stdReference: m.stdReference, lr: m.lr, imagesPerSec: m.imagesPerSec };
  if (m.tau !== undefined) r.tau = m.tau;
  if (m.effRank !== undefined) r.effRank = m.effRank;
  if (m.encoderEffRank !== undefined) r.encoderEffRank = m.encoderEffRank;
  return r;
}

/** Writes the checkpoint and the encoder; returns the step written, or undefined if the state is not finite. */
async function writeOutputs(program: TrainingProgram, out: string): Promise<number | undefined> {
  const dir = join(out, 'checkpoint');
  mkdirSync(dir, { recursive: true });
  const cp = await saveCheckpoint(program);
  if (!cp) return undefined;
  writeFileSync(join(dir, 'state.safetensors'), cp.tensors);
  writeFileSync(join(dir, 'state.json'), cp.json);
  writeFileSync(join(out, 'encoder.safetensors'), encodeSafetensors(await encoderTensors(program), {
    format: 'pt', producer: 'siamese-studio', graph: program.doc.name, step: String(program.stepsDone),
  }));
  const model = await encoderModel(program, version_core);
  mkdirSync(join(out, 'encoder'), { recursive: true });
  writeFileSync(join(out, 'encoder', 'model.json'), model.modelJson);
  writeFileSync(join(out, 'encoder', 'weights.bin'), model.weightsBin);
  return program.stepsDone;
}

function initFrom(program: TrainingProgram, file: string) {
  try {
    loadEncoderTensors(program, decodeSafetensors(new Uint8Array(readFileSync(file)), file).tensors, file);
  } catch (e) {
    throw new CliError(`--init-from ${file}: ${(e as Error).message}`);
  }
}

function resume(program: TrainingProgram, dir: string) {
  const cp = join(dir, 'checkpoint');
  if (!existsSync(join(cp, 'state.json'))) throw new CliError(`--resume ${dir}: no checkpoint there (expected ${join(cp, 'state.json')})`);
  try {
    loadCheckpoint(program, { json: readFileSync(join(cp, 'state.json'), 'utf8'), tensors: new Uint8Array(readFileSync(join(cp, 'state.safetensors'))) }, cp);
  } catch (e) {
    throw new CliError(`--resume ${dir}: ${(e as Error).message}`);
  }
}

interface Options {
  graph: string;
  data: string;
  steps: number;
  batch?: number;
  backend: BackendChoice;
  seed?: number;
  evalEvery: number;
  out?: string;
  resume?: string;
  initFrom?: string;
  checkpointEvery: number;
  jsonl: boolean;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        data: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, backend: { type: 'string', default: 'auto' },
        seed: { type: 'string' }, 'eval-every': { type: 'string', default: '0' }, out: { type: 'string' }, resume: { type: 'string' },
        'checkpoint-every': { type: 'string', default: '50' }, 'init-from': { type: 'string' },
        jsonl: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new CliError(`train: ${(e as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) throw new CliError(USAGE);
  if (!v.data) throw new CliError(`train: --data is required\n${USAGE}`);
  if (!v.steps) throw new CliError(`train: --steps is required\n${USAGE}`);
  const int = (name: string, value: string | undefined, min: number) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CliError(`train: --${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
  if (!(BACKEND_CHOICES as readonly string[]).includes(v.backend!)) throw new CliError(`train: --backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v.backend}"`);
  return {
    graph: positionals[0], data: v.data, steps: int('steps', v.steps, 1)!, batch: int('batch', v.batch, 2), backend: v.backend as BackendChoice,
    seed: int('seed', v.seed, 0), evalEvery: int('eval-every', v['eval-every'], 0)!, out: v.out, resume: v.resume, initFrom: v['init-from'],
    checkpointEvery: int('checkpoint-every', v['checkpoint-every'], 1)!, jsonl: v.jsonl!,
  };
}
