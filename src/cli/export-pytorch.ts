import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseGraph } from '../graph';
import { exportPytorch, ExportError } from '../runtime/pytorch/export';
import { CliError, type Io } from './io';
import { readDocumentText } from './read';

const USAGE = 'usage: siamese-studio export-pytorch GRAPH.json -o train.py';

/** export-pytorch GRAPH.json -o train.py: exit 0 written, 1 the graph cannot be exported, 2 unreadable input. */
export async function exportPytorchCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
  } catch (e) {
    throw new CliError(`export-pytorch: ${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.positionals.length !== 1 || !parsed.values.output) throw new CliError(USAGE);
  const file = parsed.positionals[0];
  const doc = parseGraph(await readDocumentText(file));
  if (!doc.ok) throw new CliError(`${file}: ${doc.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}`);
  try {
    writeFileSync(parsed.values.output, exportPytorch(doc.doc));
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    io.err(`siamese-studio: ${file}: ${e.message}`);
    return 1;
  }
  io.err(`wrote ${parsed.values.output}`);
  return 0;
}
