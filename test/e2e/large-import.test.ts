/**
 * The bench's 308-node document (28 BYOLs) imported in Chromium: every node
 * and every wire is drawn, and each wire ends at its sockets — the ends come
 * from the nodes' geometry (src/editor/canvas/socket-positions.ts), so this
 * holds them to the sockets as the browser lays them out, also after a move.
 * Counts and positions, not time: `npm run bench` times it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { serializeGraph, type GraphDoc } from '../../src/graph';
import { NODE_WIDTH } from '../../src/editor/canvas/scheme';
import { catalog } from '../../src/nodes';
import type { Studio } from '../helpers/browser';
import { replicate, template } from '../helpers/docs';
import { nodeLocator, openEditor } from '../helpers/editor';

/** Rete's wire ends sit this far (canvas units) outside their socket's centre. */
const WIRE_GAP = 12;

/** Per wire on screen: its path's two ends and its sockets' centres, in page pixels; and the zoom. */
const wiresAsDrawn = (page: Page, doc: GraphDoc) => page.evaluate((edges) => {
  const centre = (selector: string) => {
    const r = document.querySelector(selector)?.getBoundingClientRect();
    return r && { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };
  const socket = (node: string, side: string, port: string) => centre(`[data-testid=node][data-id="${node}"] [data-testid=${side}-socket][data-port="${port}"]`);
  return edges.map((e) => {
    const path = document.querySelector<SVGPathElement>(`[data-testid=connection][data-id="${e.id}"] path`);
    const ctm = path?.getScreenCTM();
    const at = (length: number) => { const p = path!.getPointAtLength(length); return { x: ctm!.a * p.x + ctm!.c * p.y + ctm!.e, y: ctm!.b * p.x + ctm!.d * p.y + ctm!.f }; };
    const drawn = Boolean(path?.getAttribute('d')?.startsWith('M') && ctm);
    return {
      id: e.id,
      drawn,
      start: drawn ? at(0) : undefined,
      end: drawn ? at(path!.getTotalLength()) : undefined,
      from: socket(e.from.node, 'output', e.from.port),
      to: socket(e.to.node, 'input', e.to.port),
    };
  });
}, doc.edges);

const zoomOf = async (page: Page, node: string) => (await nodeLocator(page, node).boundingBox())!.width / NODE_WIDTH;

/** Every wire drawn, starting and ending WIRE_GAP outside its sockets' centres (half a pixel: layout rounds). */
async function expectWiresAtSockets(page: Page, doc: GraphDoc) {
  const k = await zoomOf(page, doc.nodes[0].id);
  const wires = await wiresAsDrawn(page, doc);
  expect(wires.filter((w) => !w.drawn || !w.from || !w.to).map((w) => w.id)).toEqual([]);
  for (const w of wires) {
    expect(Math.abs(w.start!.x - (w.from!.x + WIRE_GAP * k)), `${w.id} start x`).toBeLessThan(0.5);
    expect(Math.abs(w.start!.y - w.from!.y), `${w.id} start y`).toBeLessThan(0.5);
    expect(Math.abs(w.end!.x - (w.to!.x - WIRE_GAP * k)), `${w.id} end x`).toBeLessThan(0.5);
    expect(Math.abs(w.end!.y - w.to!.y), `${w.id} end y`).toBeLessThan(0.5);
  }
}

describe('a 308-node document in Chromium', () => {
  let studio: Studio;
  const dir = mkdtempSync(join(tmpdir(), 'siamese-large-'));
  const big = replicate(template('byol'), 28);
  beforeAll(async () => { studio = await openEditor(); });
  afterAll(async () => { await studio?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('imports with every node and every wire on the canvas, each wire at its sockets, also after a node moves', async () => {
    const { page } = studio;
    expect([big.nodes.length, big.edges.length]).toEqual([308, 364]);
    const file = join(dir, 'big.json');
    writeFileSync(file, serializeGraph(big));
    await page.getByTestId('import-json').setInputFiles(file);
    await expect.poll(() => page.locator('[data-testid=connection] path[d^="M"]').count(), { timeout: 30_000 }).toBe(big.edges.length);

    const ids = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id ?? '').sort());
    expect(await ids('[data-testid=node]')).toEqual(big.nodes.map((n) => n.id).sort());
    expect(await ids('[data-testid=connection]')).toEqual(big.edges.map((e) => e.id).sort());
    const titles = await page.locator('[data-testid=node]').evaluateAll((els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.id, e.querySelector('[data-testid=title]')?.textContent])));
    expect(titles).toEqual(Object.fromEntries(big.nodes.map((n) => [n.id, n.label ?? n.id])));
    const ports = big.nodes.reduce((s, n) => s + catalog.get(n.type)!.inputs.length + catalog.get(n.type)!.outputs.length, 0);
    expect(await page.locator('[data-testid=input-socket].socket, [data-testid=output-socket].socket').count()).toBe(ports);
    await expectWiresAtSockets(page, big);

    // Dragging a node by its title moves its wires' ends with it.
    const moved = big.edges[0].from.node;
    const before = (await nodeLocator(page, moved).boundingBox())!;
    const at = (await nodeLocator(page, moved).getByTestId('title').boundingBox())!;
    await page.mouse.move(at.x + 20, at.y + at.height / 2);
    await page.mouse.down();
    await page.mouse.move(at.x + 80, at.y + at.height / 2 + 45, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => (await nodeLocator(page, moved).boundingBox())!.x - before.x).toBeGreaterThan(40);
    await expectWiresAtSockets(page, big);
  });
});
