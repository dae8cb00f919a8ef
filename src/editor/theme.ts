/**
 * The two themes' colours that are drawn rather than styled — the canvas,
 * sockets and wires (one colour per socket kind) and the charts (uPlot draws
 * on a canvas) — as CSS custom properties set on <html>, with
 * `data-theme` for the rest of style.css. One table, so that a test checks
 * what is shown: every socket colour ≥ 3:1 (WCAG) against the canvas and the
 * node background, and each pair far apart (test/editor/theme.test.ts).
 */
import type { SocketKind } from '../graph';

export type ThemeName = 'light' | 'dark';

export interface Palette {
  canvas: string;
  canvasDot: string;
  node: string;
  sockets: Record<SocketKind, string>;
  /** Chart text and axes, grid lines, and one colour per series role. */
  chart: { text: string; grid: string; series: Record<ChartColor, string> };
}
export type ChartColor = 'ink' | 'blue' | 'green' | 'red' | 'purple' | 'orange' | 'grey';

export const PALETTES: Record<ThemeName, Palette> = {
  light: {
    canvas: '#eef0f5',
    canvasDot: '#c9cdd8',
    node: '#ffffff',
    sockets: { images: '#2b8a3e', features: '#1971c2', loss: '#e03131', weights: '#9c36b5' },
    chart: {
      text: '#3a4155',
      grid: '#e3e6ee',
      series: { ink: '#1d2330', blue: '#1971c2', green: '#2b8a3e', red: '#c92a2a', purple: '#9c36b5', orange: '#e67700', grey: '#868e96' },
    },
  },
  dark: {
    canvas: '#16191f',
    canvasDot: '#2c313d',
    node: '#252a35',
    sockets: { images: '#51cf66', features: '#4dabf7', loss: '#ff6b6b', weights: '#da77f2' },
    chart: {
      text: '#c1c7d6',
      grid: '#2f3542',
      series: { ink: '#e9ecf2', blue: '#4dabf7', green: '#51cf66', red: '#ff6b6b', purple: '#da77f2', orange: '#ffa94d', grey: '#8d96a8' },
    },
  },
};

/** Shows `name`: data-theme on <html> for style.css, and the drawn colours as custom properties. */
export function applyTheme(name: ThemeName, root: HTMLElement = document.documentElement): void {
  const p = PALETTES[name];
  root.dataset.theme = name;
  root.style.colorScheme = name;
  root.style.setProperty('--canvas-bg', p.canvas);
  root.style.setProperty('--canvas-dot', p.canvasDot);
  root.style.setProperty('--node-bg', p.node);
  for (const [kind, colour] of Object.entries(p.sockets)) root.style.setProperty(`--socket-${kind}`, colour);
}
