/**
 * `npm run bench`: prints the project's speed figures as a table, or as JSON
 * with --json. Figures, not pass/fail: targets are read off by people.
 */
import { parseGraph, serializeGraph } from '../src/graph';
import { validate } from '../src/nodes';
import { replicate, template } from '../test/helpers/docs';

interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Median wall time of fn over `runs` runs, after a few warm-up runs. */
function median(fn: () => void, runs = 50): number {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

function graphFigures(): Figure[] {
  const big = replicate(template('byol'), 28);
  const text = serializeGraph(big);
  const n = big.nodes.length;
  return [
    { name: `parse ${n}-node document`, value: median(() => parseGraph(text)), unit: 'ms' },
    { name: `validate + infer shapes, ${n}-node document`, value: median(() => validate(big)), unit: 'ms', note: 'target: well under 10 ms' },
    { name: `serialize ${n}-node document`, value: median(() => serializeGraph(big)), unit: 'ms' },
  ];
}

const figures = [...graphFigures()];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ figures }, null, 2));
} else {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) console.log(`${f.name.padEnd(width)}  ${f.value.toFixed(3).padStart(9)} ${f.unit}${f.note ? `   (${f.note})` : ''}`);
}
