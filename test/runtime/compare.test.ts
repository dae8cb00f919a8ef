/**
 * The comparison's diff in words (runtime/compare): a template against its
 * collapse-lab ablations gives the short true diff, whatever the ids,
 * labels, positions and notes; settings and params as "name a → b"; the
 * table's figures and the overlays' series from the metrics records.
 */
import { describe, expect, it } from 'vitest';
import type { GraphDoc } from '../../src/graph';
import { describeDifferences } from '../../src/runtime/compare/graph-diff';
import { compareRuns, type MetricsRecord } from '../../src/runtime/compare/runs';
import { chartPanels, stepDecimals, tickLabel } from '../../src/runtime/line-chart';
import { template } from '../helpers/docs';

/** The same graph under other ids, labels and positions: nothing of it is trained. */
function renamed(doc: GraphDoc): GraphDoc {
  const id = (x: string) => `n_${x}`;
  return {
    ...doc,
    name: 'renamed',
    nodes: [...doc.nodes].reverse().map((n, i) => ({ ...n, id: id(n.id), label: `label ${i}`, position: { x: 7 * i, y: -3 * i } })),
    edges: doc.edges.map((e, i) => ({ ...e, id: `w${i}`, from: { ...e.from, node: id(e.from.node) }, to: { ...e.to, node: id(e.to.node) } })),
  };
}

describe('the diff of two runs in words', () => {
  const simsiam = template('simsiam');

  it('SimSiam vs its no-stop-gradient ablation: the stop-gradient removed, bypassed', () => {
    expect(describeDifferences(simsiam, template('collapse-no-stop-gradient'))).toEqual(['stop-gradient removed (loss target now from projector)']);
    expect(describeDifferences(template('collapse-no-stop-gradient'), simsiam)).toEqual(['stop-gradient added', 'loss target: from projector → from stop-gradient']);
  });

  it('SimSiam vs its no-predictor ablation: the predictor removed, bypassed', () => {
    expect(describeDifferences(simsiam, template('collapse-no-predictor'))).toEqual(['predictor removed (loss prediction now from projector)']);
  });

  it('matches nodes by kind and place when the ids differ; labels, positions and the name are not differences', () => {
    expect(describeDifferences(simsiam, renamed(simsiam))).toEqual([]);
    expect(describeDifferences(simsiam, renamed(template('collapse-no-stop-gradient')))).toEqual(['stop-gradient removed (loss target now from projector)']);
  });

  it('params and training fields: "where a → b"', () => {
    const changed = template('simsiam');
    changed.training.optimizer.lr = 0.03;
    changed.training.batchSize = 16;
    changed.nodes.find((n) => n.id === 'loss')!.params.objective = 'normalized-l2';
    changed.nodes.find((n) => n.id === 'proj')!.params.outputDim = 64;
    expect(describeDifferences(simsiam, changed)).toEqual(['projector outputDim 128 → 64', 'loss objective negative-cosine → normalized-l2', 'batch 256 → 16', 'lr 0.06 → 0.03']);
    // the settings a run was trained with, over its document's
    expect(describeDifferences(simsiam, simsiam, simsiam.training, { ...simsiam.training, steps: 20, seed: 3 })).toEqual(['seed 0 → 3', 'steps 600 → 20']);
  });
});

describe('compareRuns', () => {
  const records = (losses: number[], done: MetricsRecord): MetricsRecord[] => [
    ...losses.map((loss, i) => ({ step: i + 1, loss, collapseStd: 0.08, stdReference: 0.125, effRank: 5 - i })),
    { step: 2, knnTop1: 0.25 },
    { done: true, steps: losses.length, ...done },
  ];
  const a = { name: 'a', doc: template('simsiam'), training: template('simsiam').training, records: records([1, 0.5, 0.25], { loss: 0.25, collapseStd: 0.08, effRank: 3, dim: 64, collapsed: false, probeTop1: 0.5 }) };
  const noSg = template('collapse-no-stop-gradient');
  const b = { name: 'b', doc: noSg, training: noSg.training, records: records([2, 1], {}).slice(0, 3) }; // stopped: no done record

  it('a table row per run, from the done record or else the last logged figures; overlays with a point per step', () => {
    const c = compareRuns([a, b]);
    expect(c.differences).toEqual([{ run: 'b', against: 'a', changes: ['stop-gradient removed (loss target now from projector)'] }]);
    expect(c.figures).toEqual([
      { run: 'a', method: 'SimSiam', steps: 3, loss: 0.25, collapseStd: 0.08, stdReference: 0.125, effRank: 3, dim: 64, knnTop1: 0.25, probeTop1: 0.5, collapsed: false },
      { run: 'b', method: 'SimSiam without stop-gradient', steps: 2, loss: 1, collapseStd: 0.08, stdReference: 0.125, effRank: 4, dim: 64, knnTop1: 0.25, probeTop1: undefined, collapsed: true },
    ]);
    expect(c.overlays.map((o) => o.metric)).toEqual(['loss', 'std', 'rank', 'knn']);
    expect(c.overlays[0].series).toEqual([{ name: 'a', points: [[1, 1], [2, 0.5], [3, 0.25]] }, { name: 'b', points: [[1, 2], [2, 1]] }]);
    expect(c.overlays[1].reference).toEqual({ y: 0.125, label: '1/√d' });
    expect(c.overlays[2].reference).toEqual({ y: 6.4, label: 'd/10: collapsed below' });
    expect(c.overlays[3].series.map((s) => s.points)).toEqual([[[2, 0.25]], [[2, 0.25]]]);
  });
});

describe('tick labels (the SVG panels and the in-app charts)', () => {
  it('carry the decimals their spacing needs, so neighbouring ticks never read alike (uPlot\'s 3 decimals gave 0.089, 0.089)', () => {
    expect([5, 1, 0.5, 0.25, 0.05, 0.025, 0.0005, 0.0002].map(stepDecimals)).toEqual([0, 0, 1, 2, 2, 3, 4, 4]);
    const splits = [0.0855, 0.086, 0.0865, 0.087, 0.0875, 0.088, 0.0885, 0.089, 0.0895, 0.09];
    const labels = splits.map((t) => tickLabel(t, 0.0005));
    expect(labels).toEqual(['0.0855', '0.0860', '0.0865', '0.0870', '0.0875', '0.0880', '0.0885', '0.0890', '0.0895', '0.0900']);
    expect(new Set(labels).size).toBe(splits.length);
    expect([0, 0.25, 0.5, 0.75].map((t) => tickLabel(t, 0.25))).toEqual(['0.00', '0.25', '0.50', '0.75']);
  });
});

describe('chartPanels', () => {
  it('stacks one nested chart per panel; a run name reaches the SVG only as well-formed XML text, its control and bidi characters as their codes (as the app shows them)', () => {
    const series = [{ name: 'a<b>&"c"\u0001\r\u001b[2J\u202eexe\ud800', points: [[1, 2], [2, 1]] as Array<[number, number]> }];
    const svg = chartPanels([{ title: 'Loss', yLabel: 'loss', series }, { title: 'Std', yLabel: 'std', series }]);
    expect(svg.match(/<svg /g)).toHaveLength(3);
    expect(svg).toContain('<svg x="0" y="400" ');
    expect(svg).toContain('height="800"');
    expect(svg.split('>a&lt;b&gt;&amp;&quot;c&quot;\\u0001\\u000d\\u001b[2J\\u202eexe\ufffd</text>')).toHaveLength(3);
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069]/);
  });

  it('draws a sparse series with a dot at each point (a run\'s single kNN was an empty panel), a dense one as a line only', () => {
    const svg = chartPanels([{ title: 'kNN top-1', yLabel: 'top-1', series: [{ name: 'a', points: [[20, 0.5]] }, { name: 'b', points: [[10, 0.4], [20, 0.6]] }] }]);
    expect(svg.match(/<circle [^>]*fill="#1c7ed6"\/>/g)).toHaveLength(1);
    expect(svg.match(/<circle [^>]*fill="#e8590c"\/>/g)).toHaveLength(2);
    const dense = chartPanels([{ title: 'Loss', yLabel: 'loss', series: [{ name: 'a', points: Array.from({ length: 31 }, (_, i): [number, number] => [i + 1, 1 / (i + 1)]) }] }]);
    expect(dense).not.toContain('<circle');
    expect(dense.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){30}"/g)).toHaveLength(1);
  });
});

describe('the SVG panels\' axes', () => {
  /** A panel's tick labels as drawn: the y axis's (right-aligned at its left edge), then the x axis's (under the plot). */
  const labels = (svg: string) => ({
    y: [...svg.matchAll(/<text x="54" y="[\d.]+" font-size="10" text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]),
    x: [...svg.matchAll(/<text x="[\d.]+" y="370" font-size="10" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]),
  });

  it('"nice" ticks (1-2-5 spacing) labelled to their spacing; the x axis ends at the last step', () => {
    const loss = Array.from({ length: 20 }, (_, i): [number, number] => [i + 1, 0.71 - (0.58 * i) / 19]);
    const svg = chartPanels([{ title: 'Loss', yLabel: 'loss', series: [{ name: 'a', points: loss }] }]);
    expect(labels(svg)).toEqual({ y: ['0.0', '0.2', '0.4', '0.6', '0.8'], x: ['0', '5', '10', '15', '20'] });
    // 0.1 apart, over a range whose quarters are not round: 0.1·3 is 0.30000000000000004 in floats
    const fine = chartPanels([{ title: 'Std', yLabel: 'std', series: [{ name: 'a', points: [[1, 0.1], [7, 0.43]] }] }]);
    expect(labels(fine)).toEqual({ y: ['0.1', '0.2', '0.3', '0.4', '0.5'], x: ['0', '2', '4', '6'] });
    const rank = chartPanels([{ title: 'Rank', yLabel: 'effective rank', series: [{ name: 'a', points: [[10, 1234.5678], [600, 87.123456]] }] }]);
    expect(labels(rank)).toEqual({ y: ['0', '500', '1000', '1500'], x: ['0', '200', '400', '600'] });
  });

  it('kNN top-1 (fractions in the log) is labelled in per cent, as the tables and the app show it', () => {
    const c = compareRuns([{ name: 'a', doc: template('simsiam'), training: template('simsiam').training, records: [{ step: 10, loss: 1, knnTop1: 0.61 }, { step: 20, loss: 0.5, knnTop1: 0.72 }] }]);
    const knn = c.overlays.find((o) => o.metric === 'knn')!;
    const svg = chartPanels([knn]);
    expect(labels(svg).y).toEqual(['60 %', '65 %', '70 %', '75 %']);
    expect(svg).toContain('>top-1 (%)</text>');
  });
});
