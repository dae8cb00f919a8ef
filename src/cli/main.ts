/**
 * `siamese-studio`: the command line of the README. Each command returns its
 * exit code; nothing here prints a stack trace for a user's mistake.
 */
import { compareCommand } from './compare';
import { exportPytorchCommand } from './export-pytorch';
import { linkCommand } from './link';
import { schemaCommand } from './schema';
import { validateCommand } from './validate';
import { CliError, type Io, processIo } from './io';

const USAGE = `usage: siamese-studio <command> [options]

commands:
  validate GRAPH.json|URL [--json]
                                 check a graph document, or the one a link holds; exit 0 valid
                                 (warnings printed), 1 invalid, 2 not readable as a graph document
  train GRAPH.json --data fashion-mnist[=DIR] --steps N [--batch B]
        [--backend auto|webgpu|wasm|cpu] [--seed S] [--eval-every N]
        [--out DIR [--force]] [--resume DIR [--resume-with-changes]]
        [--checkpoint-every N] [--init-from encoder.safetensors] [--probe] [--jsonl]
                                 train headless; --jsonl prints one JSON object per step;
                                 --probe: the linear probe's top-1 at the end (done line);
                                 exit 0 trained, 1 invalid graph or non-finite loss/state,
                                 2 bad input or unwritable output, 130 Ctrl-C
  evaluate RUN_DIR [--probe] [--knn] [--data fashion-mnist[=DIR]|cifar10=DIR] [--json]
                                 evaluate a train --out folder's encoder (both without flags)
  compare RUN_DIR RUN_DIR… [--svg FILE] [--json]
                                 how train --out runs differ (graph and settings, in words, from
                                 the first), their final figures, and with --svg their curves
  export-pytorch GRAPH.json -o train.py
                                 write a PyTorch training script (one process or torchrun/DDP)
  link GRAPH.json [--base URL]   print the editor's link holding the document (#doc=1.…;
                                 default base http://localhost:5173/)
  schema                         print the JSON Schema of the graph document
  help                           show this text`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, io);
      case 'link':
        return await linkCommand(rest, io);
      case 'schema':
        return schemaCommand(rest, io);
      case 'train': // loads tfjs: only when training
        return await (await import('./train')).trainCommand(rest, io);
      case 'evaluate': // loads tfjs too
        return await (await import('./evaluate')).evaluateCommand(rest, io);
      case 'compare':
        return await compareCommand(rest, io);
      case 'export-pytorch':
        return await exportPytorchCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`siamese-studio: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`siamese-studio: ${e.message}`);
      return e.exitCode;
    }
    io.err(`siamese-studio: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.SIAMESE_STUDIO_DEBUG) io.err(String((e as Error)?.stack));
    return 3;
  }
}
