/**
 * The embedding view's PNG: the scatter as the view draws it and, to its
 * right, the class legend — each class's colour swatch and name — so the
 * file says on its own what the colours are. The names go through the one
 * encoder (shownText): an image folder's name holding a bidi override must
 * not reorder the legend, nor a control character vanish from it.
 */
import { shownText } from '../graph';

export interface LegendEntry { name: string; colour: string }
export interface LegendStyle { background: string; text: string; ratio: number }

/** In CSS px (times the device pixel ratio): the legend's text size, line height, swatch side and padding. */
const FONT = 12;
const LINE = 18;
const SWATCH = 10;
const PAD = 8;

/** A new canvas: `plot`'s pixels unchanged at its top left, the legend beside it on `style.background`. */
export function plotWithLegend(plot: HTMLCanvasElement, legend: readonly LegendEntry[], style: LegendStyle): HTMLCanvasElement {
  const r = style.ratio;
  const font = `${Math.round(FONT * r)}px system-ui, sans-serif`;
  const names = legend.map((e) => shownText(e.name, 'none'));
  const out = document.createElement('canvas');
  const measure = out.getContext('2d')!;
  measure.font = font;
  const textWidth = Math.max(0, ...names.map((n) => measure.measureText(n).width));
  out.width = plot.width + Math.ceil((3 * PAD + SWATCH) * r + textWidth);
  out.height = Math.max(plot.height, Math.ceil((2 * PAD + LINE * legend.length) * r));
  const ctx = out.getContext('2d')!; // resizing reset its state: set the font again
  ctx.fillStyle = style.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(plot, 0, 0);
  ctx.font = font;
  ctx.textBaseline = 'middle';
  const side = Math.round(SWATCH * r);
  legend.forEach((e, i) => {
    const x = plot.width + Math.round(PAD * r);
    const y = Math.round((PAD + LINE * i + LINE / 2) * r);
    ctx.fillStyle = e.colour;
    ctx.fillRect(x, y - Math.round(side / 2), side, side);
    ctx.fillStyle = style.text;
    ctx.fillText(names[i], x + side + Math.round((PAD / 2) * r), y);
  });
  return out;
}
