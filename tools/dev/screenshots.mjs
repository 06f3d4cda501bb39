// The README's screenshot pair: the demo's default model (RANGE+ over GeoCLIP with the Blue
// Marble bank) embedding the world view at β = 0 and β = 1, in headless Chromium on the CPU
// fallback (deterministic, no GPU needed). Needs build.sh's www/. Run by hand:
//   node tools/dev/screenshots.mjs [columns=64]     → docs/img/bluemarble-beta{0,1}.png
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const columns = process.argv[2] ?? '64';
const dir = path.join(root, 'docs/img');
fs.mkdirSync(dir, { recursive: true });

const server = await serve(path.join(root, 'www'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${server.url}/?nosw&device=cpu`);
  await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 300_000 });
  await page.selectOption('#resolution', columns);
  for (const beta of ['0', '1']) {
    await page.fill('#beta', beta);
    await page.dispatchEvent('#beta', 'input');
    const n = await page.evaluate(() => window.georangeDemo.layerDone);
    const t0 = Date.now();
    await page.click('#layer-toggle');
    await page.waitForFunction((n) => window.georangeDemo.layerDone > n, n, { timeout: 1_800_000 });
    const file = path.join(dir, `bluemarble-beta${beta}.png`);
    await page.locator('#map').screenshot({ path: file });
    console.log(`${file}: β = ${beta}, ${columns} columns, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  await browser.close();
  await server.close();
}
