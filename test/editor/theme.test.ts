/** Issue 20 (9): sockets and wires stay readable and tell their kinds apart in both themes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PALETTES } from '../../src/editor/theme';
import { contrast, deltaE2000 } from '../helpers/colour';

/** Far more than a glance needs (2.3 is just noticeable): the kinds are told apart at wire width. */
const MIN_DELTA_E = 25;

describe('socket and wire colours', () => {
  for (const [name, p] of Object.entries(PALETTES)) {
    const kinds = Object.entries(p.sockets);
    it(`${name}: every kind has ≥ 3:1 contrast (WCAG, graphics) against the canvas and the node`, () => {
      for (const [kind, colour] of kinds) {
        expect(contrast(colour, p.canvas), `${kind} ${colour} on canvas ${p.canvas}`).toBeGreaterThanOrEqual(3);
        expect(contrast(colour, p.node), `${kind} ${colour} on node ${p.node}`).toBeGreaterThanOrEqual(3);
      }
    });
    it(`${name}: every two kinds differ by ΔE2000 ≥ ${MIN_DELTA_E}`, () => {
      for (let i = 0; i < kinds.length; i++) for (let j = i + 1; j < kinds.length; j++) {
        expect(deltaE2000(kinds[i][1], kinds[j][1]), `${kinds[i][0]} vs ${kinds[j][0]}`).toBeGreaterThanOrEqual(MIN_DELTA_E);
      }
    });
  }

  it('are what the canvas draws: sockets and wires take each kind\'s colour from the palette (no colour of their own)', () => {
    for (const file of ['nodes.css', 'wires.css']) { // the sockets, the wires
      const css = readFileSync(new URL(`../../src/editor/canvas/${file}`, import.meta.url), 'utf8');
      for (const kind of Object.keys(PALETTES.light.sockets)) expect(css, `${file}: ${kind}`).toMatch(new RegExp(`\\.${kind} \\{[^}]*var\\(--socket-${kind}\\)`));
    }
  });

  it('the measures are right and can fail: known ratios; the light theme\'s ink would vanish on the dark canvas', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 6);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(deltaE2000('#ff0000', '#ff0000')).toBe(0);
    expect(deltaE2000('#1971c2', '#1c7ed6')).toBeLessThan(MIN_DELTA_E);
    expect(contrast(PALETTES.light.chart.series.ink, PALETTES.dark.canvas)).toBeLessThan(1.5);
  });
});
