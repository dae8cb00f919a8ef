/**
 * Minimal SVG line charts: one chart per metric, a line per run (dashed for
 * collapsed runs): reproduce's results/ plots and the comparison's panels.
 */
import { shownText } from '../graph/shown-text';

export interface Series {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

const COLORS = ['#1c7ed6', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0ca678', '#f08c00', '#495057'];
/**
 * The one encoder for text inside these SVGs (run names come from folder
 * names and documents): control, bidi and invisible characters are shown as
 * their codes, as everywhere in the app (shownText: a U+202E in a name must
 * not reverse the legend), markup characters become entities, and what XML
 * 1.0 still forbids (lone surrogates, U+FFFE/U+FFFF) the replacement
 * character, so any name gives a well-formed file that reads as the app does.
 */
export const xmlText = (s: string) =>
  shownText(s, 'none')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escape = xmlText;

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  reference?: { y: number; label: string };
  /** The values are fractions, labelled as per cent on the axis (0.72 → "72 %"). */
  percent?: boolean;
}

/**
 * A "nice" tick spacing for [lo, hi]: 1, 2 or 5 times a power of ten, giving
 * about `count` intervals; `minStep` bounds it from below (1 for steps).
 */
export function niceStep(lo: number, hi: number, count = 4, minStep = 0): number {
  const raw = Math.max((hi - lo) / count, minStep, Number.MIN_VALUE);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return Math.max([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!, minStep);
}

/** The decimals a tick spacing needs: 0.05 → 2, 5 → 0, 0.025 → 3 (uPlot also steps by 2.5·10^k). */
export function stepDecimals(step: number): number {
  let d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  while (d < 15 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-6) d++;
  return d;
}

/** The multiples of `step` in [lo, hi], each k·step rounded to the spacing's decimals (no 0.30000000000000004 accumulates). */
export function ticksOf(lo: number, hi: number, step: number): number[] {
  const [k0, k1] = [Math.ceil(lo / step - 1e-9), Math.floor(hi / step + 1e-9)];
  return Array.from({ length: Math.max(0, k1 - k0 + 1) }, (_, i) => Number(((k0 + i) * step).toFixed(stepDecimals(step))));
}

/** A tick's label with the decimals its spacing needs (never "-0"); as per cent where the values are fractions. */
export function tickLabel(t: number, step: number, percent = false): string {
  const shown = percent ? (100 * t).toFixed(stepDecimals(100 * step)) : t.toFixed(stepDecimals(step));
  return `${/^-0(\.0*)?$/.test(shown) ? shown.slice(1) : shown}${percent ? ' %' : ''}`;
}

const [W, H] = [900, 400];
/** Series of at most this many points are drawn with a dot at each. */
const MAX_DOTTED = 30;

/** Several charts stacked in one SVG, each its own nested <svg> (one per panel). */
export function chartPanels(panels: Panel[]): string {
  const inner = panels.map((p, i) => lineChart(p.title, p.yLabel, p.series, p.reference, p.percent).replace('<svg ', `<svg x="0" y="${H * i}" `).trimEnd());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * panels.length}" viewBox="0 0 ${W} ${H * panels.length}">
${inner.join('\n')}
</svg>
`;
}

export function lineChart(title: string, yLabel: string, series: Series[], reference?: { y: number; label: string }, percent = false): string {
  const [w, h, left, right, top, bottom] = [W, H, 60, 330, 36, 44];
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(reference ? [reference.y] : [])];
  const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) || 1) / 10, y1 + (Math.abs(y1) || 1) / 10];
  // y widened to whole ticks (the first and last on the frame); x ends at the last step
  const yStep = niceStep(y0, y1);
  [y0, y1] = [Math.floor(y0 / yStep + 1e-9) * yStep, Math.ceil(y1 / yStep - 1e-9) * yStep];
  const xStep = niceStep(x0, x1, 4, 1);
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (w - left - right);
  const py = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom);
  const lines = series.map((s, i) => {
    const finite = s.points.filter(([, y]) => Number.isFinite(y));
    const d = finite.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    // A sparse series (a kNN every N steps, a short run's ranks) gets a dot per point: a single point is no line at all.
    const dots = finite.length <= MAX_DOTTED ? finite.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${COLORS[i % COLORS.length]}"/>`) : [];
    return [`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`, ...dots].join('');
  });
  const legend = series.map((s, i) =>
    `<g transform="translate(${w - right + 14},${top + 18 * i})"><line x1="0" y1="6" x2="22" y2="6" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="28" y="10" font-size="11">${escape(s.name)}</text></g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">
<rect width="${w}" height="${h}" fill="white"/>
<text x="${left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>
${ticksOf(y0, y1, yStep).map((t) => `<line x1="${left}" x2="${w - right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e9ecef"/><text x="${left - 6}" y="${(py(t) + 4).toFixed(1)}" font-size="10" text-anchor="end">${tickLabel(t, yStep, percent)}</text>`).join('\n')}
<line x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}" stroke="#868e96"/>
${ticksOf(x0, x1, xStep).map((t) => `<text x="${px(t).toFixed(1)}" y="${h - bottom + 14}" font-size="10" text-anchor="middle">${tickLabel(t, xStep)}</text>`).join('\n')}
<text x="${(left + w - right) / 2}" y="${h - 8}" font-size="11" text-anchor="middle">step</text>
<text x="14" y="${(top + h - bottom) / 2}" font-size="11" transform="rotate(-90 14 ${(top + h - bottom) / 2})" text-anchor="middle">${escape(yLabel)}</text>
${reference ? `<line x1="${left}" x2="${w - right}" y1="${py(reference.y).toFixed(1)}" y2="${py(reference.y).toFixed(1)}" stroke="#868e96" stroke-dasharray="2 3"/><text x="${w - right - 4}" y="${(py(reference.y) - 4).toFixed(1)}" font-size="10" text-anchor="end">${escape(reference.label)}</text>` : ''}
${lines.join('\n')}
${legend.join('\n')}
</svg>
`;
}
