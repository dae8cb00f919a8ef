/**
 * npm run screenshot: regenerates the README's pictures of the BYOL template
 * (Chromium, the dev server of this checkout):
 * - docs/byol.png: 1920×1080, light, the EMA target encoder selected;
 * - docs/byol-1280x720-light.png: 1280×720, light, the document's Training panel;
 * - docs/byol-1920x1080-dark-run.png: 1920×1080, dark (the system's setting), a run live with its dock.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadTemplate, openEditor } from '../test/helpers/editor';
import { root } from '../test/helpers/browser';

async function shoot(page: Page, name: string) {
  await page.locator('.sidebar').evaluateAll((els) => els.forEach((el) => { el.scrollTop = 0; }));
  await page.waitForTimeout(500);
  const file = join(root, 'docs', name);
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
}

const studio = await openEditor();
try {
  const { page } = studio;
  await page.setViewportSize({ width: 1920, height: 1080 }); // BYOL whole at a legible zoom (titles ≥ 11 px)
  await loadTemplate(page, 'byol');
  await page.getByTestId('fit').click();
  await page.locator('[data-testid=node][data-id=ema_enc] [data-testid=title]').click();
  await shoot(page, 'byol.png');

  await page.setViewportSize({ width: 1280, height: 720 });
  await page.keyboard.press('Escape'); // nothing selected: the inspector shows the document and its Training panel
  await page.getByTestId('fit').click();
  await shoot(page, 'byol-1280x720-light.png');

  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByTestId('train-steps').fill('2000');
  await page.getByTestId('train-batch').fill('16');
  await page.getByTestId('train-eval-every').fill('0');
  await page.getByTestId('train-backend-choice').selectOption('wasm');
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')) >= 25, null, { timeout: 300_000 });
  await page.getByTestId('fit').click();
  await shoot(page, 'byol-1920x1080-dark-run.png');
  await page.getByTestId('train-stop').click();
} finally {
  await studio.close();
}
