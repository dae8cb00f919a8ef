/**
 * The run history's logic without a browser: a kept run as a CLI run folder
 * and back, the CLI reading the exported folder, refusals naming the file,
 * a continued run's log, last good figures, and a full quota losing nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph } from '../../src/graph';
import { compareRuns, loggedFigures, type MetricsRecord } from '../../src/runtime/compare/runs';
import type { RunsDb } from '../../src/editor/runs/db';
import { readRunFolder, runFolderFiles, type FolderFiles } from '../../src/editor/runs/folder';
import { assembleRecords, toComparison, type KeptRun, type RunMeta } from '../../src/editor/runs/record';
import { RunWriter } from '../../src/editor/runs/writer';
import { cli, root } from '../helpers/cli';

const docText = (name: string) => {
  const parsed = parseGraph(readFileSync(join(root, 'templates', `${name}.json`), 'utf8'));
  if (!parsed.ok) throw new Error(name);
  return serializeGraph(parsed.doc);
};
const step = (n: number, extra: Partial<MetricsRecord> = {}): MetricsRecord => ({ step: n, loss: 1 / n, collapseStd: 0.08, stdReference: 1 / Math.sqrt(2048), dim: 2048, ...extra });

function keptRun(template: string, records: MetricsRecord[], over: Partial<KeptRun> = {}): KeptRun {
  const doc = docText(template);
  return {
    id: 'r1', name: `${template} #1`, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: 0, doc, method: parseGraph(doc).ok ? JSON.parse(doc).name : '',
    settings: { steps: 3, batchSize: 8, seed: 7 }, backend: { name: 'wasm', threads: 2 }, data: 'the embedded set', status: 'completed',
    done: { done: true, steps: 3, ...loggedFigures(records) }, source: 'browser', records, ...over,
  };
}
const asFolder = (run: KeptRun, weights?: Uint8Array): FolderFiles => new Map(runFolderFiles(run, weights).map((f) => [f.name, f.bytes]));

describe('a kept run as a run folder', () => {
  const records = [step(1), step(2, { effRank: 300 }), { step: 2, knnTop1: 0.41 }, step(3)];

  it('writes the CLI layout and reads back the same run', async () => {
    const run = keptRun('simsiam', records, { probe: { step: 3, top1: 0.52, train: 5000, test: 1000, iterations: 40 } });
    const files = runFolderFiles(run, new Uint8Array([1, 2, 3]));
    expect(files.map((f) => f.name)).toEqual(['run.json', 'graph.json', 'metrics.jsonl', 'encoder.safetensors']);
    const runJson = JSON.parse(new TextDecoder().decode(files[0].bytes));
    expect(runJson).toMatchObject({ format: 'siamese-studio.run', version: 1, settings: { steps: 3, batchSize: 8, seed: 7 }, name: 'simsiam #1' });
    const lines = new TextDecoder().decode(files[2].bytes).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toMatchObject({ done: true, steps: 3, probeTop1: 0.52, knnTop1: 0.41, effRank: 300, collapsed: false });

    const back = await readRunFolder(asFolder(run, new Uint8Array([1, 2, 3])), 'simsiam-1');
    expect(back.run).toMatchObject({ name: 'simsiam #1', method: 'SimSiam', settings: { steps: 3, batchSize: 8, seed: 7 }, status: 'completed', doc: run.doc, weightsBytes: 3, source: 'imported' });
    expect(back.run.records).toEqual(records);
    expect(back.run.done).toMatchObject({ steps: 3, knnTop1: 0.41, probeTop1: 0.52 });
    expect(back.run.probe?.top1).toBe(0.52);
    expect([...back.weights!]).toEqual([1, 2, 3]);
  });

  it('is read by the CLI: compare names the removed stop-gradient and both runs\' figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runs-export-'));
    const write = (name: string, run: KeptRun) => {
      mkdirSync(join(dir, name));
      for (const f of runFolderFiles(run)) writeFileSync(join(dir, name, f.name), f.bytes);
      return join(dir, name);
    };
    const a = write('a', keptRun('simsiam', records));
    const b = write('b', keptRun('collapse-no-stop-gradient', [step(1), step(2, { collapseStd: 0.001, effRank: 1.5 })], { done: { done: true, steps: 2 } }));
    const r = await cli('compare', a, b, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.figures.map((f: { steps: number; knnTop1?: number }) => [f.steps, f.knnTop1])).toEqual([[3, 0.41], [2, undefined]]);
    expect(out.runs[0].training).toMatchObject({ steps: 3, batchSize: 8, seed: 7 });
    expect(out.differences[0].changes.join('\n')).toMatch(/stop-gradient/i);
  }, 60_000);

  it('refuses bad folders with the file named', async () => {
    const good = asFolder(keptRun('simsiam', records));
    const without = (name: string) => new Map([...good].filter(([n]) => n !== name));
    const replaced = (name: string, text: string) => new Map([...good, [name, new TextEncoder().encode(text)]]);
    await expect(readRunFolder(without('run.json'), 'my-run')).rejects.toThrow(/^my-run: no run\.json — not a Siamese Studio run folder/);
    await expect(readRunFolder(replaced('run.json', '{"format":"other"}'), 'my-run')).rejects.toThrow(/^my-run\/run\.json: its format is not "siamese-studio\.run"/);
    await expect(readRunFolder(replaced('run.json', '{nope'), 'my-run')).rejects.toThrow(/^my-run\/run\.json: not JSON/);
    await expect(readRunFolder(without('graph.json'), 'my-run')).rejects.toThrow(/^my-run: no graph\.json/);
    // a run without its log has nothing to show or compare (it was kept as a 0-step run 'cut short')
    await expect(readRunFolder(without('metrics.jsonl'), 'my-run')).rejects.toThrow(/^my-run: no metrics\.jsonl — /);
    await expect(readRunFolder(replaced('graph.json', '{"format":"siamese-studio.graph","version":1}'), 'my-run')).rejects.toThrow(/^my-run\/graph\.json: /);
    await expect(readRunFolder(replaced('metrics.jsonl', '{"step":1}\n[1,2]\n{"step":2}\n'), 'my-run')).rejects.toThrow(/^my-run\/metrics\.jsonl: line 2 is not a JSON object$/);
    await expect(readRunFolder(replaced('run.json', '{"format":"siamese-studio.run","settings":{"steps":-1}}'), 'my-run')).rejects.toThrow(/^my-run\/run\.json: settings: /);
    // a killed write's half line at the end is skipped, as the CLI skips it
    const cut = await readRunFolder(replaced('metrics.jsonl', '{"step":1,"loss":2,"collapseStd":0.1,"stdReference":0.02}\n{"step":2,"lo'), 'my-run');
    expect(cut.run).toMatchObject({ status: 'stopped', reason: expect.stringMatching(/no done record/), done: { steps: 1, loss: 2 } });
  });

  it('takes a CLI failure\'s reason from its done record', async () => {
    const log = [step(1), step(2), { done: true, steps: 2, backend: 'cpu', error: 'step 3: the loss is NaN: training stopped' }];
    const files = asFolder(keptRun('simsiam', []));
    files.set('metrics.jsonl', new TextEncoder().encode(log.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    const { run } = await readRunFolder(files, 'nan-run');
    expect(run).toMatchObject({ status: 'failed', reason: 'step 3: the loss is NaN: training stopped', backend: { name: 'cpu' }, done: { steps: 2, loss: 0.5 } });
  });
});

describe('the log and its figures', () => {
  it('a continued run drops what came after its checkpoint', () => {
    const chunks = [[step(1), step(2), { step: 2, knnTop1: 0.3 }], [step(3), step(4)], [{ resumedAt: 2 } as MetricsRecord, step(3, { loss: 9 })]];
    expect(assembleRecords(chunks)).toEqual([step(1), step(2), { step: 2, knnTop1: 0.3 }, step(3, { loss: 9 })]);
  });

  it('last good figures: the last step\'s loss and std, the last rank and kNN, the verdict on them', () => {
    const f = loggedFigures([step(1, { effRank: 400 }), { step: 1, knnTop1: 0.5 }, step(2, { collapseStd: 0.0001 }), step(3, { collapseStd: 0.0001, loss: 0.25 })]);
    expect(f).toEqual({ steps: 3, loss: 0.25, collapseStd: 0.0001, stdReference: 1 / Math.sqrt(2048), effRank: 400, dim: 2048, knnTop1: 0.5, collapsed: true });
    expect(loggedFigures([])).toEqual({});
  });

  it('toComparison: the document with the run\'s steps, batch and seed', () => {
    const c = toComparison(keptRun('simsiam', [step(1)]));
    expect(c.training).toMatchObject({ steps: 3, batchSize: 8, seed: 7 });
    expect(c.doc.name).toBe('SimSiam');
    expect(c.records.at(-1)).toMatchObject({ done: true, steps: 1, loss: 1 });
  });

  it('toComparison: where it ran, so the comparison names a backend or data that differs', () => {
    const wasm = keptRun('simsiam', [step(1)]);
    const webgpu = keptRun('simsiam', [step(1)], { backend: { name: 'webgpu' }, data: 'fashion-mnist (10000)' });
    expect(compareRuns([toComparison(wasm), toComparison(webgpu)]).differences[0].changes).toEqual(['backend wasm → webgpu', 'data the embedded set → fashion-mnist (10000)']);
    expect(compareRuns([toComparison(wasm), toComparison(keptRun('simsiam', [step(1)]))]).differences[0].changes).toEqual([]);
  });
});

describe('writing a run as it goes', () => {
  /** An in-memory RunsDb whose writes fail while `full` is set, as IndexedDB fails at a full quota. */
  function memoryDb() {
    const metas = new Map<string, RunMeta>();
    const chunks = new Map<string, MetricsRecord[]>();
    const db = {
      full: false as boolean,
      async list() { return [...metas.values()]; },
      async put(meta: RunMeta, chunk?: { seq: number; records: MetricsRecord[] }) {
        if (db.full) throw new DOMException('quota', 'QuotaExceededError');
        metas.set(meta.id, structuredClone(meta));
        if (chunk) chunks.set(`${meta.id}/${chunk.seq}`, structuredClone(chunk.records));
      },
      async chunks(id: string) { return [...chunks.keys()].filter((k) => k.startsWith(`${id}/`)).sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1])).map((k) => chunks.get(k)!); },
      async remove() { /* unused */ },
      async putWeights() { /* unused */ },
      async weights() { return undefined; },
    } satisfies RunsDb & { full: boolean };
    return { db, metas };
  }

  it('a full quota keeps the records in memory and writes them all once there is room', async () => {
    const { db, metas } = memoryDb();
    const w = new RunWriter(db, keptRun('simsiam', []));
    w.append([step(1), step(2)]);
    expect(await w.flush()).toEqual({ ok: true });
    db.full = true;
    w.append([step(3)]);
    const failed = await w.flush();
    expect(failed.ok).toBe(false);
    expect(w.unsaved).toBe(1);
    w.append([step(4)]);
    w.meta = { ...w.meta, status: 'failed', reason: 'NaN' };
    expect((await w.flush()).ok).toBe(false);
    expect(metas.get('r1')?.status).toBe('completed'); // the old entry, untouched
    db.full = false;
    expect(await w.flush()).toEqual({ ok: true });
    expect(w.unsaved).toBe(0);
    expect(assembleRecords(await db.chunks('r1'))).toEqual([step(1), step(2), step(3), step(4)]);
    expect(metas.get('r1')).toMatchObject({ status: 'failed', reason: 'NaN' });
    expect(w.records).toHaveLength(4);
  });
});
