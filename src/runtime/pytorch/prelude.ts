/**
 * The Python half of an exported script that does not depend on the graph
 * (data, metrics, the linear probe, LARS and schedules, safetensors, flags
 * and errors, files and checkpoints, Ctrl-C, the training loop), as .py
 * files in ./prelude; a
 * node kind adds its own helpers (PyEmitter.python: augmentations, encoders,
 * the MLP, the loss). They mirror src/nodes and src/runtime; the parity
 * harness (npm run parity) checks that they agree.
 *
 * Each .py file is Python as Python (test/pytorch/lint.test.ts runs py_compile
 * and pyflakes on it): its imports on top — the standard library, then torch —
 * and its definitions below. `prelude` joins the parts into one import block
 * and their definitions, in order. The .py.ts beside each .py is its text
 * (scripts/build-python.mjs).
 */
import cli from './prelude/cli.py.ts';
import data from './prelude/data.py.ts';
import files from './prelude/files.py.ts';
import metrics from './prelude/metrics.py.ts';
import optim from './prelude/optim.py.ts';
import probe from './prelude/probe.py.ts';
import safetensors from './prelude/safetensors.py.ts';
import stop from './prelude/stop.py.ts';
import train from './prelude/train.py.ts';

/** The fixed part's files in script order; the node kinds' helpers (the building blocks) go between data and the rest. */
const BEFORE_KINDS = { 'data.py': data };
const AFTER_KINDS = { 'metrics.py': metrics, 'probe.py': probe, 'optim.py': optim, 'safetensors.py': safetensors, 'cli.py': cli, 'files.py': files, 'stop.py': stop, 'train.py': train };
/** The fixed part's text by file name (the exporter checks that no kind's helper redefines one of its names). */
export const FIXED_PARTS: Readonly<Record<string, string>> = { ...BEFORE_KINDS, ...AFTER_KINDS };

/**
 * The names the fixed part takes from the script's graph section (export.ts
 * writes them after it): the lint test checks the fixed part uses no other
 * undefined name, and that every exported script defines these.
 */
export const GRAPH_NAMES = ['DOCUMENT', 'TRAINED_SHA256', 'BOUNDS', 'DATASET', 'IN_CHANNELS', 'CROP_SIZE', 'PROBE_SIZE', 'ENCODER', 'PREDICTORS', 'NOT_WEIGHTS', 'EMA_LINKS', 'STATE_NODES', 'Graph'];

const IMPORT = /^(import [\w.]+( as \w+)?|from [\w.]+ import \w+( as \w+)?)$/;
const isTorch = (line: string) => /^(import|from) torch\b/.test(line);

/** A part's import lines (those on top, blank lines between them) and the rest, its definitions. */
export function splitPart(text: string): { imports: string[]; body: string } {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i] === '' || IMPORT.test(lines[i]))) i++;
  return { imports: lines.slice(0, i).filter(Boolean), body: lines.slice(i).join('\n').replace(/\n+$/, '') };
}

/**
 * The script's Python before its graph section: one import block (those of
 * the parts and `imports`, the graph section's own; each once, the standard
 * library's, then torch's, sorted) and the parts' definitions — the fixed
 * part's with `kindParts` (each kind's helpers, once) among them.
 */
export function prelude(kindParts: readonly string[], imports: readonly string[]): string {
  const parts = [...Object.values(BEFORE_KINDS), ...kindParts, ...Object.values(AFTER_KINDS)].map(splitPart);
  const all = [...new Set([...parts.flatMap((p) => p.imports), ...imports])].sort();
  const block = [all.filter((l) => !isTorch(l)), all.filter(isTorch)].filter((g) => g.length).map((g) => g.join('\n')).join('\n\n');
  return `\n${block}\n\n\n${parts.map((p) => p.body).join('\n\n\n')}\n`;
}
