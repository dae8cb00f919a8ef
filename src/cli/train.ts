/**
 * siamese-studio train GRAPH.json --data fashion-mnist[=DIR] --steps N
 *   [--batch B] [--backend auto|webgpu|wasm|cpu] [--seed S] [--eval-every N]
 *   [--out DIR [--force]] [--resume DIR [--resume-with-changes]] [--checkpoint-every N] [--probe] [--jsonl]
 * Exit: 0 trained, 1 invalid graph or a non-finite loss or state, 2 bad
 * input (flags, data, checkpoint) or an output that cannot be written, 3 a
 * bug, 130 stopped by Ctrl-C (after the current step, checkpoint written).
 * Checkpoints go to DIR/checkpoint (checkpoint-dir.ts: switched atomically)
 * every N steps (default 50), at the end and on Ctrl-C; a step that leaves a
 * loss or any state tensor non-finite stops the run with the last one kept.
 */
import { appendFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { version_core } from '@tensorflow/tfjs-core';
import { errorsOf, formatProblem, graphChanges, parseGraph, serializeGraph, TrainingSchema, type GraphDoc } from '../graph';
import { validate } from '../nodes';
import { CheckpointError, describeStateTensor, firstNonFiniteTensor, restoreCheckpoint, saveCheckpoint } from '../runtime/checkpoint';
import type { Dataset } from '../runtime/data/dataset';
import { loadDatasetSpec } from '../runtime/data/node';
import { encoderModel, encoderTensors, loadEncoderTensors } from '../runtime/export';
import { isCollapsed } from '../runtime/metrics';
import { compile, NonFiniteLossError, type StepMetrics, type TrainingProgram } from '../runtime/program';
import { decodeSafetensors, encodeSafetensors } from '../runtime/safetensors';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from '../runtime/tf/backends';
import { enableWebGpu, loadTfNode, probeWebGpu } from '../runtime/tf/node';
import { readCheckpointDir, writeCheckpointDir, type CheckpointOnDisk } from './checkpoint-dir';
import { checkDataFits } from './data-fit';
import { runProbe } from './evaluate';
import { readRegularFile, WriteError, writeFileAtomic, makeDir } from './files';
import { CliError, type Io } from './io';
import { CHECKPOINT_DIR, checkRunFolder, METRICS_FILE, prepareRunFolder, refuseIfWritten } from './run-folder';
import { formatDuration, ProgressBar } from './progress';
import { readDocumentText } from './read';
import { onlyValuesOutOfRange } from './validate';

const USAGE = 'usage: siamese-studio train GRAPH.json --data fashion-mnist[=DIR] --steps N [--batch B] [--backend auto|webgpu|wasm|cpu] [--seed S] [--eval-every N] [--out DIR [--force]] [--resume DIR [--resume-with-changes]] [--init-from encoder.safetensors] [--checkpoint-every N] [--probe] [--jsonl]';

export async function trainCommand(args: string[], io: Io): Promise<number> {
  const opts = parseOptions(args);
  const target = outFolder(opts);
  if (target) checkRunFolder(target.out, { resumingHere: target.resumingHere, force: opts.force, flag: target.flag });
  const text = await readDocumentText(opts.graph);
  const parsed = parseGraph(text);
  if (!parsed.ok && !onlyValuesOutOfRange(parsed.errors)) throw new CliError(`${opts.graph}: ${parsed.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  const errors = parsed.ok ? errorsOf(validate(parsed.doc).problems) : parsed.errors;
  if (errors.length || !parsed.ok) {
    io.err(`siamese-studio: ${opts.graph} has ${errors.length} error${errors.length > 1 ? 's' : ''}; training needs none:`);
    for (const p of errors) io.err(`  ${formatProblem(p)}`);
    return 1;
  }
  const doc = parsed.doc;

  const tf = await loadTfNode();
  const avoid = await prepareWebGpu(opts.backend);
  const backend = await selectBackend(tf, opts.backend, avoid).catch((e: Error) => { throw new CliError(e.message); });
  let dataset: Dataset;
  try {
    dataset = await loadDatasetSpec(opts.data);
  } catch (e) {
    throw new CliError((e as Error).message);
  }

  // Read before anything is built, so that a bad checkpoint or another graph is refused first.
  if (opts.resume) refuseIfWritten(opts.resume, '--resume');
  const checkpoint = opts.resume ? readResumable(opts.resume) : undefined;
  const changes = checkpoint ? checkGraph(checkpoint, doc, opts) : [];
  const program = compile(doc, { dataset, batchSize: opts.batch, steps: opts.steps, seed: opts.seed });
  checkDataFits(doc, dataset, program.settings.batchSize, { data: opts.data, batch: opts.batch });
  try {
    program.init();
    if (opts.initFrom) initFrom(program, opts.initFrom);
    if (checkpoint) await restore(program, checkpoint, opts.resume!);
    return await run(program, opts, { io, backend: backend.name, backendReason: backend.reason, dataset, doc: serializeGraph(doc), changes });
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
  /** What differs from the resumed checkpoint's graph (--resume-with-changes). */
  changes: string[];
}

async function run(program: TrainingProgram, opts: Options, ctx: Context): Promise<number> {
  const { io } = ctx;
  const target = outFolder(opts);
  const out = target?.out;
  const emit = (record: object) => {
    const line = JSON.stringify(record);
    if (opts.jsonl) io.out(line);
    const file = out && join(out, METRICS_FILE);
    if (file) try { appendFileSync(file, `${line}\n`); } catch (e) { throw new WriteError(file, e); }
  };
  const total = program.totalSteps;
  const first = program.stepsDone;
  const release = target ? prepareRunFolder(target.out, {
    resumedHere: target.resumingHere ? first : undefined, force: opts.force, flag: target.flag,
    settings: { steps: total, batchSize: program.settings.batchSize, seed: program.settings.seed },
    about: { createdAt: new Date().toISOString(), backend: { name: ctx.backend, reason: ctx.backendReason }, data: `${ctx.dataset.name} (${ctx.dataset.train.count})` },
  }) : undefined;
  if (target) writeFileAtomic(join(target.out, 'graph.json'), ctx.doc);
  if (ctx.changes.length) emit({ resumedAt: first, graphChanges: ctx.changes });
  if (!opts.jsonl) {
    io.err(`training "${program.doc.name}" on ${ctx.dataset.name} (${ctx.dataset.train.count} images): ${total} steps × batch ${program.settings.batchSize}, backend ${ctx.backend} (${ctx.backendReason})${first ? `, continuing after step ${first}` : ''}`);
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
  /** The step of the last checkpoint written (a resume's own to begin with). */
  let saved: number | undefined = opts.resume ? first : undefined;
  /** Steps whose state is good: all of them, unless one left a tensor non-finite. */
  let goodSteps = first;
  const done: Record<string, unknown> = { done: true };
  let seconds = 0;
  const keptNote = () => (saved !== undefined ? `; the last checkpoint (step ${saved}) is kept in ${join(out!, CHECKPOINT_DIR)}` : out ? '; no checkpoint was written before it' : '');
  try {
    while (program.stepsDone < total && !interrupted) {
      // On wasm and cpu a step settles in microtasks only: yield to the event
      // loop, or Ctrl-C (and output) would wait for the end of training.
      await new Promise((resolve) => setImmediate(resolve));
      if (interrupted) break;
      let metrics: StepMetrics;
      try {
        metrics = await program.step();
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        failure = e.message;
        break;
      }
      // A finite loss can still come with overflowed weights (LARS at a huge lr): such a step is not kept either.
      const bad = await firstNonFiniteTensor(program);
      if (bad) {
        failure = `step ${metrics.step} left ${describeStateTensor(bad)} non-finite (its loss, ${metrics.loss}, was finite): training stopped`;
        break;
      }
      last = metrics;
      goodSteps = last.step;
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
      if (out && last.step % opts.checkpointEvery === 0) saved = await writeOutputs(program, out);
    }
    // Still under our SIGINT handler: a second Ctrl-C during these writes ends the process between files, never inside one.
    if (out && !failure && saved !== program.stepsDone) saved = await writeOutputs(program, out);
    seconds = (Date.now() - started) / 1000;
    Object.assign(done, { steps: goodSteps, backend: ctx.backend, seconds: Math.round(seconds * 1000) / 1000 });
    if (last) {
      Object.assign(done, { loss: last.loss, collapseStd: last.collapseStd, stdReference: last.stdReference, effRank: last.effRank, dim: last.dim });
      done.collapsed = isCollapsed(last.collapseStd, last.effRank, last.dim);
    }
    // the linear probe of the trained encoder (linear-probe.ts), only of a run that ended well
    if (opts.probe && last && !failure && !interrupted) done.probeTop1 = (await runProbe(program, ctx.dataset, io, opts.jsonl)).top1;
    if (interrupted) done.interrupted = true;
    if (failure) done.error = failure;
    emit(done);
  } catch (e) {
    if (e instanceof WriteError) throw new CliError(`${e.message}${keptNote()}`);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    bar?.finish();
    release?.();
  }
  if (failure) {
    io.err(`siamese-studio: ${failure}${keptNote()}`);
    return 1;
  }
  if (!opts.jsonl) {
    io.err(`${interrupted ? 'stopped' : 'done'}: ${goodSteps} steps in ${formatDuration(seconds)}${last ? `, loss ${last.loss.toFixed(4)}${done.collapsed ? ' — collapsed' : ''}` : ''}${typeof done.probeTop1 === 'number' ? `, linear probe top-1 ${(100 * done.probeTop1).toFixed(2)} %` : ''}${out ? `; wrote ${out}` : ''}`);
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

/** Where a run writes (--out, else the --resume folder), the flag that named it, and whether it holds the checkpoint resumed. */
function outFolder(opts: Options): { out: string; flag: string; resumingHere: boolean } | undefined {
  const out = opts.out ?? opts.resume;
  if (out === undefined) return undefined;
  const resumingHere = opts.resume !== undefined && resolvePath(out) === resolvePath(opts.resume);
  return { out, flag: opts.out !== undefined ? '--out' : '--resume', resumingHere };
}

/** Writes the checkpoint, then the encoder, each file whole; returns the step written. */
async function writeOutputs(program: TrainingProgram, out: string): Promise<number> {
  const cp = await saveCheckpoint(program);
  // Every step's state is checked finite before it gets here.
  if (!cp) throw new Error(`the state at step ${program.stepsDone} is not finite`);
  writeCheckpointDir(join(out, CHECKPOINT_DIR), cp);
  writeFileAtomic(join(out, 'encoder.safetensors'), encodeSafetensors(await encoderTensors(program), {
    format: 'pt', producer: 'siamese-studio', graph: program.doc.name, step: String(program.stepsDone),
  }));
  const model = await encoderModel(program, version_core);
  makeDir(join(out, 'encoder'));
  // weights.bin first: a model.json is never left pointing at the weights of another step.
  writeFileAtomic(join(out, 'encoder', 'weights.bin'), model.weightsBin);
  writeFileAtomic(join(out, 'encoder', 'model.json'), model.modelJson);
  return program.stepsDone;
}

function initFrom(program: TrainingProgram, file: string) {
  const bytes = new Uint8Array(readRegularFile(file, 2 ** 31 - 1, 'safetensors file'));
  try {
    loadEncoderTensors(program, decodeSafetensors(bytes, file).tensors, file);
  } catch (e) {
    throw new CliError(`--init-from ${file}: ${(e as Error).message}`);
  }
}

/** The checkpoint in DIR/checkpoint, read and checked (its tensors against the program later). */
function readResumable(dir: string): CheckpointOnDisk {
  try {
    return readCheckpointDir(join(dir, CHECKPOINT_DIR));
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof CliError) throw new CliError(`--resume ${dir}: ${e.message}`);
    throw e;
  }
}

/** What differs from the checkpoint's graph: refused unless --resume-with-changes. */
function checkGraph(checkpoint: CheckpointOnDisk, doc: GraphDoc, opts: Options): string[] {
  const saved = parseGraph(checkpoint.state.graph);
  if (!saved.ok) throw new CliError(`${checkpoint.files.state}: graph: not a graph document (${saved.errors[0].message})`);
  const changes = graphChanges(saved.doc, doc);
  if (changes.length && !opts.resumeWithChanges) {
    throw new CliError(`--resume ${opts.resume}: ${opts.graph} differs from the graph the checkpoint was trained on (${changes.join('; ')}); pass --resume-with-changes to train it from these weights anyway`);
  }
  return changes;
}

async function restore(program: TrainingProgram, checkpoint: CheckpointOnDisk, dir: string): Promise<void> {
  try {
    await restoreCheckpoint(program, checkpoint.state, checkpoint.tensors, checkpoint.files);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(`--resume ${dir}: ${e.message}`);
    throw e;
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
  resumeWithChanges: boolean;
  force: boolean;
  initFrom?: string;
  checkpointEvery: number;
  probe: boolean;
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
        jsonl: { type: 'boolean', default: false }, force: { type: 'boolean', default: false }, probe: { type: 'boolean', default: false },
        'resume-with-changes': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new CliError(`train: ${(e as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) throw new CliError(USAGE);
  if (!v.data) throw new CliError(`train: --data is required\n${USAGE}`);
  if (!v.steps) throw new CliError(`train: --steps is required\n${USAGE}`);
  // The document's own bounds for what a flag overrides; the others at most the steps' bound.
  const bound = (key: 'steps' | 'seed' | 'batchSize') => TrainingSchema.shape[key].unwrap().maxValue!;
  const int = (name: string, value: string | undefined, min: number, max = bound('steps')) => {
    if (value === undefined) return undefined;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`train: --${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
  if (!(BACKEND_CHOICES as readonly string[]).includes(v.backend!)) throw new CliError(`train: --backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v.backend}"`);
  return {
    graph: positionals[0], data: v.data, steps: int('steps', v.steps, 1)!, batch: int('batch', v.batch, 2, bound('batchSize')), backend: v.backend as BackendChoice,
    seed: int('seed', v.seed, 0, bound('seed')), evalEvery: int('eval-every', v['eval-every'], 0)!, out: v.out, resume: v.resume, initFrom: v['init-from'],
    checkpointEvery: int('checkpoint-every', v['checkpoint-every'], 1)!, probe: v.probe!, jsonl: v.jsonl!, force: v.force!, resumeWithChanges: v['resume-with-changes']!,
  };
}
