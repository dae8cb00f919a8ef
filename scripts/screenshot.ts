/**
 * npm run screenshot: regenerates docs/byol.png, the README's picture of the
 * BYOL template on the canvas (Chromium, the dev server of this checkout).
 */
import { join } from 'node:path';
import { loadTemplate, openEditor } from '../test/helpers/editor';
import { root } from '../test/helpers/browser';

const studio = await openEditor();
try {
  const { page } = studio;
  await page.setViewportSize({ width: 1920, height: 1080 }); // BYOL whole at a legible zoom (titles ≥ 11 px)
  await loadTemplate(page, 'byol');
  await page.getByTestId('fit').click();
  await page.locator('[data-testid=node][data-id=ema_enc] [data-testid=title]').click();
  await page.locator('.sidebar').evaluate((el) => { el.scrollTop = 0; });
  await page.waitForTimeout(500);
  const file = join(root, 'docs', 'byol.png');
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
} finally {
  await studio.close();
}
