/** Driving the editor in Chromium the way a user does: drags, clicks, keys, files. */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openStudio, type Studio } from './browser';

export async function openEditor(extraArgs: string[] = []): Promise<Studio> {
  const studio = await openStudio(extraArgs);
  await studio.page.setViewportSize({ width: 1600, height: 1000 });
  await canvasReady(studio.page);
  return studio;
}

export const canvasReady = (page: Page) => page.waitForSelector('[data-testid=canvas][data-ready=true]', { timeout: 30_000 });

/** Clicks Export and returns the downloaded file's name and text. */
export async function exportDocument(page: Page): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  return { name: download.suggestedFilename(), text: readFileSync((await download.path())!, 'utf8') };
}

/** Drags a palette item onto the canvas, dropping it at (x, y) in the canvas element. */
export async function dropKind(page: Page, type: string, x: number, y: number): Promise<void> {
  await page.getByTestId(`palette-item-${type}`).dragTo(page.getByTestId('canvas'), { targetPosition: { x, y } });
}

export const nodeLocator = (page: Page, id: string) => page.locator(`[data-testid=node][data-id="${id}"]`);

async function centre(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`not on screen: ${selector}`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a wire from an output socket to an input socket with the mouse. */
export async function dragWire(page: Page, from: [string, string], to: [string, string]): Promise<void> {
  const a = await centre(page, `[data-testid=node][data-id="${from[0]}"] [data-testid=output-socket][data-port="${from[1]}"]`);
  const b = await centre(page, `[data-testid=node][data-id="${to[0]}"] [data-testid=input-socket][data-port="${to[1]}"]`);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

/** Clicks a node's title (shift adds it to the selection). */
export async function clickNode(page: Page, id: string, shift = false): Promise<void> {
  const title = nodeLocator(page, id).getByTestId('title');
  await title.click({ modifiers: shift ? ['Shift'] : [] });
}

/** Loads a template from the gallery (opening a folded palette), confirming the replacement when asked; resolves once the canvas shows it. */
export async function loadTemplate(page: Page, key: string): Promise<void> {
  const unfold = page.getByTestId('palette-unfold'); // a run folds the palette
  if (await unfold.count()) await unfold.click();
  await page.getByTestId(`template-${key}`).click();
  const confirm = page.getByTestId('confirm-ok');
  await confirm.waitFor({ timeout: 500 }).then(() => confirm.click(), () => undefined);
  const name = await page.getByTestId(`template-${key}`).locator('strong').textContent();
  await page.waitForFunction((n) => document.querySelector('[data-testid=doc-name]')?.textContent === n && document.querySelectorAll('[data-testid=node]').length > 0, name);
}

/** Sets a field of the inspector (the selected node's) and commits it as the user would, with Enter. */
export async function setParam(page: Page, name: string, value: string): Promise<void> {
  const field = page.getByTestId(`param-${name}`);
  const tag = await field.evaluate((el) => el.tagName);
  if (tag === 'SELECT') await field.selectOption(value);
  else {
    await field.fill(value);
    await field.press('Enter');
    await field.blur();
  }
}

/** The document without ids and positions: node types with params, and wires by type and port. */
export function shapeOf(text: string) {
  const doc = JSON.parse(text) as { nodes: { id: string; type: string; params: unknown }[]; edges: { from: { node: string; port: string }; to: { node: string; port: string } }[] };
  const typeOf = new Map(doc.nodes.map((n) => [n.id, n.type]));
  return {
    nodes: doc.nodes.map((n) => JSON.stringify([n.type, n.params])).sort(),
    edges: doc.edges.map((e) => `${typeOf.get(e.from.node)}.${e.from.port} → ${typeOf.get(e.to.node)}.${e.to.port}`).sort(),
  };
}
