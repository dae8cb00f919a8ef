/**
 * Deleting a multi-node selection and undoing it. The undo restores the nodes
 * selected; Rete's first placement of each (at 0,0) was once taken as a drag
 * of the selection, each follower's move as another: the page froze.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Studio } from '../helpers/browser';
import { clickNode, exportDocument, loadTemplate, nodeLocator, openEditor } from '../helpers/editor';

let studio: Studio;
beforeAll(async () => { studio = await openEditor(); }, 120_000);
afterAll(async () => { await studio?.close(); });

interface Doc { nodes: { id: string; position: { x: number; y: number } }[]; edges: { from: { node: string }; to: { node: string } }[] }

describe('delete a selection, then undo', () => {
  it.each([1, 2, 5])('SimSiam: delete %i of its nodes, undo: the same document, byte for byte', async (k) => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    const original = (await exportDocument(page)).text;
    const doc = JSON.parse(original) as Doc;
    expect(doc.nodes.map((n) => n.id)).toEqual(['data', 'aug', 'enc', 'proj', 'pred', 'sg', 'loss']);
    const gone = new Set(['data', 'aug', 'enc', 'proj', 'pred'].slice(0, k));
    const wiresLeft = doc.edges.filter((e) => !gone.has(e.from.node) && !gone.has(e.to.node)).length;
    expect(wiresLeft).toBeLessThan(doc.edges.length);

    for (const [i, id] of [...gone].entries()) await clickNode(page, id, i > 0);
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('node').count(), { timeout: 10_000 }).toBe(doc.nodes.length - k);
    expect(await page.getByTestId('connection').count()).toBe(wiresLeft);

    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node').count(), { timeout: 10_000 }).toBe(doc.nodes.length);
    await expect.poll(() => page.getByTestId('connection').count(), { timeout: 10_000 }).toBe(doc.edges.length);
    // The page still answers, and the nodes stand where the document says (none carried off by a "drag").
    expect((await exportDocument(page)).text).toBe(original);
    const drawn = await page.getByTestId('node').evaluateAll((els) => Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.id, el.parentElement!.style.transform])));
    expect(drawn).toEqual(Object.fromEntries(doc.nodes.map((n) => [n.id, `translate(${n.position.x}px, ${n.position.y}px)`])));
  }, 60_000);

  it('a drag of one selected node still carries the rest of the selection, by the same amount', async () => {
    const { page } = studio;
    await loadTemplate(page, 'simsiam');
    const before = JSON.parse((await exportDocument(page)).text) as Doc;
    await clickNode(page, 'enc');
    await clickNode(page, 'proj', true);
    const box = (await nodeLocator(page, 'enc').getByTestId('title').boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 140, box.y + box.height / 2 + 80, { steps: 6 });
    await page.mouse.up();
    const after = JSON.parse((await exportDocument(page)).text) as Doc;
    const moved = Object.fromEntries(after.nodes.map((n, i) => [n.id, { x: n.position.x - before.nodes[i]!.position.x, y: n.position.y - before.nodes[i]!.position.y }]));
    expect(moved.enc!.x).toBeGreaterThan(0);
    expect(moved.enc!.y).toBeGreaterThan(0);
    expect(moved.proj).toEqual(moved.enc);
    for (const id of ['data', 'aug', 'pred', 'sg', 'loss']) expect(moved[id], id).toEqual({ x: 0, y: 0 });
  }, 60_000);
});
