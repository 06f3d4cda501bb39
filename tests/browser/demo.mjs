// The demo page (www/, assembled by build.sh) as a visitor uses it, in headless Chromium:
// wait for the default model (RANGE over GeoCLIP with the Blue Marble bank), click a point and
// compare the shown vector with the native CLI (cosine ≥ 0.999), render the embedding layer
// (not blank, colourful; sharper at β = 1 than at β = 0), "places like this" (the ranking
// against a brute force over the bank file, the similarity layer), on a phone (390 × 844,
// touch: the map covers the screen, a tap embeds the tapped point), move β, a broken model
// URL, the page with only a software WebGPU adapter (SwiftShader: `auto` takes the CPU, so the
// WebGPU tests ask for it with ?device=webgpu), the page without WebGPU, the page under a strict
// Content-Security-Policy header (CPU workers and WebGPU), and offline after the first visit. Screenshots go to
// out/screenshots/ (ignored by git) for people to look at.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../tools/dev/serve.mjs';
import { ARGS, WEBGPU, assert, results, test } from './lib.mjs';
import { readNpy } from './npy.mjs';
import { cosines, readBank } from '../node/safetensors.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'out/screenshots');
const work = path.join(root, 'out/demo-tests');
fs.mkdirSync(shots, { recursive: true });
fs.mkdirSync(work, { recursive: true });
const cli = path.join(root, 'target/release/georange');
const GEOCLIP = path.join(root, 'www/models/geoclip/encoder.safetensors');
const BLUE_MARBLE = path.join(root, 'www/models/geoclip/bluemarble-bank.safetensors');
const cosine = (a, b) => { let d = 0, x = 0, y = 0; for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; x += a[i] ** 2; y += b[i] ** 2; } return d / Math.sqrt(x * y); };

function nativeEmbedding(encoder, bank, model, beta, [lon, lat]) {
  const csv = path.join(work, 'point.csv');
  const out = path.join(work, 'point.npy');
  fs.writeFileSync(csv, `lon,lat\n${lon},${lat}\n`);
  const args = ['embed', '--encoder', encoder, '--model', model, '--beta', String(beta), '--input', csv, '--output', out];
  if (bank) args.push('--bank', bank);
  execFileSync(cli, args, { stdio: 'ignore' });
  return readNpy(out).data;
}


async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
  return page;
}

/** Clicks (or, with `tap`, taps) the map at (`lon`, `lat`) and waits for the embedding shown. */
async function clickAt(page, lon, lat, { tap = false } = {}) {
  const pt = await page.evaluate(([lat, lon]) => { const p = georangeMap.project([lon, lat]); return [p.x, p.y]; }, [lat, lon]);
  const box = await page.locator('#map').boundingBox();
  await page.evaluate(() => { window.georangeDemo.lastVector = null; });
  if (tap) await page.touchscreen.tap(box.x + pt[0], box.y + pt[1]);
  else await page.mouse.click(box.x + pt[0], box.y + pt[1]);
  await page.waitForFunction(() => window.georangeDemo.lastVector !== null, null, { timeout: 60_000 });
  return page.evaluate(() => ({ vector: window.georangeDemo.lastVector, point: window.georangeDemo.lastPoint }));
}

async function renderLayer(page) {
  const n = await page.evaluate(() => window.georangeDemo.layerDone);
  await page.click('#layer-toggle');
  await page.waitForFunction((n) => window.georangeDemo.layerDone > n, n, { timeout: 300_000 });
  return page.evaluate(() => {
    const c = window.georangeDemo.layerCanvas;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const px = [];
    for (let i = 0; i < d.length; i += 4) px.push(d[i] + 256 * d[i + 1] + 65536 * d[i + 2]);
    const mean = [0, 1, 2].map((k) => { let s = 0; for (let i = k; i < d.length; i += 4) s += d[i]; return s / (d.length / 4); });
    const variance = [0, 1, 2].map((k) => { let s = 0; for (let i = k; i < d.length; i += 4) s += (d[i] - mean[k]) ** 2; return s / (d.length / 4); });
    // Roughness: mean |difference| between horizontal neighbours over the mean |difference|
    // between random pixel pairs (1 = noise, near 0 = a smooth field), over the three channels.
    let near = 0, far = 0;
    const n = c.width * c.height;
    for (let i = 0; i < n; i++) {
      if ((i + 1) % c.width === 0) continue;
      const j = (i * 7919 + 13) % n;
      for (let k = 0; k < 3; k++) { near += Math.abs(d[4 * i + k] - d[4 * i + 4 + k]); far += Math.abs(d[4 * i + k] - d[4 * j + k]); }
    }
    return { distinct: new Set(px).size, variance, roughness: near / (far || 1), pixels: Array.from(d.filter((_, i) => i % 4 !== 3)) };
  });
}

const server = await serve(path.join(root, 'www'));
try {
  let browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...ARGS, ...WEBGPU] });
  try {
    await test('device auto passes over the software adapter (SwiftShader here) for the CPU and says so', async () => {
      const auto = await openPage(browser, `${server.url}/?nosw`);
      const backend = await auto.textContent('#backend');
      assert(/CPU/.test(backend), `backend shows ${backend}`);
      const note = await auto.textContent('#backend-note');
      assert(/software adapter/.test(note), `note: ${note}`);
      await auto.screenshot({ path: path.join(shots, 'demo-software-adapter.png') });
      await auto.close();
    });
    // The rest of this browser asks for WebGPU, to run the demo on it all the same.
    const page = await openPage(browser, `${server.url}/?nosw&device=webgpu`);
    await test('the default model (RANGE over GeoCLIP, Blue Marble bank) loads on WebGPU when asked', async () => {
      const backend = await page.textContent('#backend');
      assert(/WebGPU — \S/.test(backend), `backend shows ${backend} (expected the adapter's name)`);
      assert(/fused attention/.test(backend), `backend shows ${backend} (expected the fused kernel, the WebGPU default)`);
      assert(/Blue Marble/.test(await page.textContent('#model-about')), 'model not described');
      assert((await page.inputValue('#variant')) === 'range+', 'RANGE+ is not the default variant');
    });
    await test('click → the shown vector matches the native CLI (RANGE+ β = 0.5)', async () => {
      const { vector, point } = await clickAt(page, 2.35, 48.86);
      const native = nativeEmbedding(GEOCLIP, BLUE_MARBLE, 'range+', 0.5, point);
      assert(vector.length === 788, `dim ${vector.length}`);
      const c = cosine(vector, native);
      assert(c >= 0.999, `cosine ${c} at ${point}`);
      const coords = await page.textContent('#coords');
      assert(coords.includes(`lon ${point[0].toFixed(4)}`), coords);
      assert(/ms on webgpu/.test(await page.textContent('#timing')), await page.textContent('#timing'));
    });
    await test('RANGE+ over the synthetic bank: click explains, β changes the layer', async () => {
      await page.selectOption('#model-choice', 'fixture');
      await page.waitForFunction(() => window.georangeDemo.ready === true, null, { timeout: 120_000 });
      assert(/SYNTHETIC/.test(await page.textContent('#model-about')), 'synthetic bank not labelled');
      const { vector, point } = await clickAt(page, 139.69, 35.69);
      const fx = (f) => path.join(root, 'www/models/fixture', f);
      const native = nativeEmbedding(fx('encoder.safetensors'), fx('bank.safetensors'), 'range+', 0.5, point);
      assert(cosine(vector, native) >= 0.999, `cosine ${cosine(vector, native)}`);
      await page.waitForFunction(() => document.querySelectorAll('#explain li').length === 8);
      await page.selectOption('#resolution', '32'); // SwiftShader's WebGPU is slow: keep the grid small
      await page.fill('#beta', '0');
      await page.dispatchEvent('#beta', 'input');
      const smooth = await renderLayer(page);
      await page.screenshot({ path: path.join(shots, 'demo-rangeplus-beta0.png') });
      await page.fill('#beta', '1');
      await page.dispatchEvent('#beta', 'input');
      const sharp = await renderLayer(page);
      await page.screenshot({ path: path.join(shots, 'demo-rangeplus-beta1.png') });
      const diff = smooth.pixels.reduce((s, v, i) => s + Math.abs(v - sharp.pixels[i]), 0) / smooth.pixels.length;
      assert(diff > 5, `β = 0 and β = 1 layers look the same (mean |Δ| ${diff})`);
    });
    await test('a broken model URL shows a readable error on the page', async () => {
      await page.selectOption('#model-choice', 'custom');
      await page.fill('#custom-encoder-url', 'models/nope/encoder.safetensors');
      await page.click('#custom-load');
      await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
      const text = await page.textContent('#error');
      assert(/nope\/encoder\.safetensors/.test(text) && /404/.test(text), text);
    });
    await test('the page pins its own files (models/pins.json): another file at their URL is refused, saying so', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const swapped = await context.newPage();
      const pins = JSON.parse(fs.readFileSync(path.join(root, 'www/models/pins.json'), 'utf8'));
      // The GeoCLIP encoder pinned as the fixture's: as if another file had been published there.
      await swapped.route('**/models/pins.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ...pins, geoclip: { ...pins.geoclip, encoder: pins.fixture.encoder } }) }));
      await swapped.goto(`${server.url}/?nosw&device=cpu`);
      await swapped.waitForSelector('#error:not([hidden])', { timeout: 60_000 });
      const text = await swapped.textContent('#error');
      assert(/is not the pinned/.test(text) && text.includes(pins.fixture.encoder), text);
      await context.close();
    });
  } finally { await browser.close(); }

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    await test('without WebGPU the page works on the CPU and says so', async () => {
      const page = await openPage(browser, `${server.url}/?nosw`);
      const backend = await page.textContent('#backend');
      // Chromium validates relaxed SIMD, so the page runs the package's relaxed-SIMD module.
      assert(/CPU \(WebAssembly relaxed SIMD/.test(backend), `backend shows ${backend}`);
      // The demo's bank (40 MB) is split over one worker per core where there is more than one.
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      assert(cores < 2 || new RegExp(`${Math.min(cores, 8)} workers`).test(backend), `backend shows ${backend} on ${cores} cores`);
      assert(/WebGPU unavailable/.test(await page.textContent('#backend-note')), 'no note');
      const { vector, point } = await clickAt(page, -58.38, -34.6);
      const native = nativeEmbedding(GEOCLIP, BLUE_MARBLE, 'range+', 0.5, point);
      assert(cosine(vector, native) >= 0.999, `cosine ${cosine(vector, native)}`);
      await page.screenshot({ path: path.join(shots, 'demo-cpu.png') });
    });
    await test('places like this: a click ranks the bank as a brute force over the bank file does, and colours the view by similarity', async () => {
      const page = browser.contexts()[0].pages()[0];
      await page.check('input[name=click][value=places]');
      await page.selectOption('#resolution', '32');
      const n = await page.evaluate(() => { window.georangeDemo.places = null; return window.georangeDemo.layerDone; });
      const { vector } = await clickAt(page, 30.0, 25.0); // the Sahara
      await page.waitForFunction((n) => window.georangeDemo.layerDone > n && window.georangeDemo.places, n, { timeout: 300_000 });
      const places = await page.evaluate(() => window.georangeDemo.places);
      const bank = readBank(BLUE_MARBLE);
      const valueDim = bank.values.shape[1];
      const want = cosines(bank.values, vector.slice(0, valueDim));
      const top = [...want.keys()].sort((a, b) => want[b] - want[a]).slice(0, 10);
      assert(places.length === 10, `${places.length} places`);
      places.forEach((p, i) => {
        // f32 sums against an f64 brute force: 1e-5 in the cosine; the same rows up to ties.
        assert(Math.abs(p.similarity - want[p.index]) < 1e-5, `rank ${i}: ${p.similarity} vs ${want[p.index]}`);
        assert(want[p.index] >= want[top[9]] - 1e-5, `row ${p.index} is not in the brute force's top 10 (${top})`);
      });
      assert(!(await page.locator('#legend').isHidden()), 'no legend for the similarity layer');
      assert(/similarity/.test(await page.textContent('#progress')), await page.textContent('#progress'));
      assert((await page.locator('#places-list li').count()) === 10, 'places not listed');
      await page.screenshot({ path: path.join(shots, 'demo-places-like-this.png') });
      await page.check('input[name=click][value=embed]');
    });
    await test('label & map: clicks label places, Fit & map scores them by spatial cross-validation and paints each cell in its class colour', async () => {
      const page = browser.contexts()[0].pages()[0];
      await page.check('input[name=click][value=label]');
      assert(!(await page.locator('#label').isHidden()), 'the label panel is hidden');
      await page.selectOption('#resolution', '32');
      await page.evaluate(() => georangeMap.jumpTo({ center: [0, 0], zoom: 1 }));
      const box = await page.locator('#map').boundingBox();
      const clickLabel = async (lon, lat, label) => {
        await page.fill('#label-class', label);
        const n = await page.evaluate(() => window.georangeDemo.labels ?? 0);
        const pt = await page.evaluate(([lon, lat]) => { const p = georangeMap.project([lon, lat]); return [p.x, p.y]; }, [lon, lat]);
        await page.mouse.click(box.x + pt[0], box.y + pt[1]);
        await page.waitForFunction((n) => window.georangeDemo.labels === n + 1, n, { timeout: 10_000 });
      };
      // North and south of the equator, in blocks of their own.
      for (const [lon, lat] of [[-60, 40], [-20, 45], [20, 50], [60, 35], [-100, 55], [100, 40], [-140, 30], [140, 60]]) {
        await clickLabel(lon, lat, 'north');
        await clickLabel(lon + 5, -lat, 'south');
      }
      const n = await page.evaluate(() => window.georangeDemo.layerDone);
      await page.click('#probe-fit');
      await page.waitForFunction((n) => window.georangeDemo.layerDone > n && window.georangeDemo.probe, n, { timeout: 300_000 });
      const score = await page.textContent('#probe-score');
      assert(/16 labels, 2 classes/.test(score) && /cross-validated accuracy \d\.\d\d ± \d\.\d\d over \d folds/.test(score), score);
      assert(/probe/.test(await page.textContent('#progress')), await page.textContent('#progress'));
      const legend = await page.textContent('#legend-values');
      assert(legend.includes('north') && legend.includes('south'), `legend: ${legend}`);
      // The picture holds the two class colours (CLASS_COLOURS' first two) and nothing else.
      const colours = await page.evaluate(() => {
        const c = window.georangeDemo.layerCanvas;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Map();
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] === 0) continue; // no tile there
          const k = `${d[i]},${d[i + 1]},${d[i + 2]}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        return [...seen.entries()];
      });
      const known = new Set(['78,121,167', '242,142,43']);
      const inClass = colours.filter(([k]) => known.has(k)).reduce((s, [, n]) => s + n, 0);
      const all = colours.reduce((s, [, n]) => s + n, 0);
      assert(inClass === all && colours.length === 2, `colours: ${JSON.stringify(colours.slice(0, 6))}`);
      await page.screenshot({ path: path.join(shots, 'demo-label-and-map.png') });
      // The view's predictions as a GeoJSON download: embedded cells only, each its class.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#probe-export')]);
      const predictions = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
      assert(predictions.type === 'FeatureCollection' && predictions.features.length > 100, `${predictions.features?.length} predictions`);
      assert(predictions.features.every((f) => ['north', 'south'].includes(f.properties.label) && f.properties.probability >= 0.5 && f.geometry.type === 'Point'),
        JSON.stringify(predictions.features[0]));
      await page.click('#label-clear');
      await page.check('input[name=click][value=embed]');
    });
    await test('embed a file: a CSV chosen in the page is embedded there, streamed, and downloads as .npy, as the native CLI embeds it', async () => {
      const page = browser.contexts()[0].pages()[0];
      const rows = ['name,lng,latitude', 'Cairo,31.24,30.04', 'Lima,-77.04,-12.05', '"Rio, BR",-43.2,-22.9'];
      await page.setInputFiles('#embed-file', { name: 'places.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
      await page.selectOption('#embed-format', 'npy');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#embed-file-go')]);
      assert(download.suggestedFilename() === 'places.embeddings.npy', download.suggestedFilename());
      const got = readNpy(await download.path());
      assert(got.shape[0] === 3 && got.shape[1] === 788, `shape ${got.shape}`);
      const beta = Number(await page.inputValue('#beta'));
      const native = nativeEmbedding(GEOCLIP, BLUE_MARBLE, 'range+', beta, [-43.2, -22.9]);
      const row = got.data.slice(2 * 788, 3 * 788);
      const worst = row.reduce((m, v, i) => Math.max(m, Math.abs(v - native[i])), 0);
      assert(worst <= 1e-5, `largest difference from the CLI ${worst}`);
      assert(/3 rows of 788 values/.test(await page.textContent('#embed-file-status')), await page.textContent('#embed-file-status'));
    });
    await test('the Blue Marble layer (CPU) is colourful, and sharper at β = 1 than at β = 0', async () => {
      const page = browser.contexts()[0].pages()[0];
      await page.selectOption('#resolution', '32');
      const layers = [];
      for (const b of ['0', '1']) {
        await page.fill('#beta', b);
        await page.dispatchEvent('#beta', 'input');
        layers.push(await renderLayer(page));
        await page.screenshot({ path: path.join(shots, `demo-bluemarble-beta${b}.png`) });
      }
      for (const r of layers) assert(r.distinct > 50 && r.variance.every((v) => v > 50), JSON.stringify({ distinct: r.distinct, variance: r.variance }));
      // The map and its embeddings as GeoTIFF downloads, as GDAL (rasterio) reads them.
      for (const [button, bands, dtype] of [['#layer-geotiff', 4, 'uint8'], ['#grid-geotiff', 788, 'float32']]) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
        const info = JSON.parse(execFileSync(path.join(root, 'target/venv/bin/python'), ['-c',
          'import json, sys, rasterio\nwith rasterio.open(sys.argv[1]) as d: print(json.dumps([d.crs.to_epsg(), d.count, d.dtypes[0], d.width, d.tags().get("variant")]))',
          await download.path()], { encoding: 'utf8' }));
        assert(info[0] === 3857 && info[1] === bands && info[2] === dtype && info[3] > 10 && info[4] === 'range+', `${button}: ${JSON.stringify(info)}`);
      }
      const [smooth, sharp] = layers.map((r) => r.roughness);
      assert(sharp > 1.2 * smooth, `roughness β=0 ${smooth.toFixed(3)}, β=1 ${sharp.toFixed(3)}`);
    });
  } finally { await browser.close(); }
} finally {
  await server.close();
}

// Under a strict Content-Security-Policy sent as a header (issue 45's): the page, its CPU
// workers and WebGPU run with no violation reported, and embed as the native CLI does.
{
  const policy = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'";
  const srv = await serve(path.join(root, 'www'), 0, { 'content-security-policy': policy });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...ARGS, ...WEBGPU] });
  try {
    for (const [device, backend] of [['cpu', /CPU .*workers/], ['webgpu', /WebGPU/]]) {
      await test(`a strict Content-Security-Policy header: no violation on ${device} (${backend.source}), the vector as the native CLI's`, async () => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript(() => {
          window.cspViolations = [];
          document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page = await context.newPage();
        const reported = [];
        page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) reported.push(m.text()); });
        await page.goto(`${srv.url}/?nosw&device=${device}`);
        await page.waitForFunction(() => window.georangeDemo?.ready === true || !document.getElementById('error').hidden, null, { timeout: 180_000 });
        assert(await page.evaluate(() => window.georangeDemo.ready), `the page shows an error: ${await page.textContent('#error')}`);
        assert(backend.test(await page.textContent('#backend')), `backend shows ${await page.textContent('#backend')}`);
        const { vector, point } = await clickAt(page, 2.35, 48.86);
        const c = cosine(vector, nativeEmbedding(GEOCLIP, BLUE_MARBLE, 'range+', 0.5, point));
        assert(c >= 0.999, `cosine ${c} at ${point}`);
        const violations = [...(await page.evaluate(() => window.cspViolations)), ...reported];
        assert(!violations.length, `violations: ${violations.join('; ')}`);
        await context.close();
      });
    }
  } finally { await browser.close(); await srv.close(); }
}

// A phone: 390 × 844, touch.
{
  const srv = await serve(path.join(root, 'www'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    await test('on a phone (390 × 844, touch) the map covers the screen, a tap embeds the tapped point, the panel opens and closes', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(`${srv.url}/?nosw`);
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      const map = await page.locator('#map').boundingBox();
      const panel = await page.locator('#panel').boundingBox();
      // The map is under everything but the header; the collapsed sheet covers one bar of it.
      const visible = map.width * (panel.y - map.y);
      assert(visible >= 0.8 * 390 * 844, `map visible over ${(100 * visible / (390 * 844)).toFixed(0)}% of the screen (panel at y ${panel.y})`);
      const target = [31.24, 30.04]; // Cairo
      const { vector, point } = await clickAt(page, target[0], target[1], { tap: true });
      assert(Math.abs(point[0] - target[0]) < 1 && Math.abs(point[1] - target[1]) < 1, `tapped ${target}, embedded ${point}`);
      const native = nativeEmbedding(GEOCLIP, BLUE_MARBLE, 'range+', 0.5, point);
      assert(cosine(vector, native) >= 0.999, `cosine ${cosine(vector, native)}`);
      assert(/788-d/.test(await page.textContent('#panel-summary')), await page.textContent('#panel-summary'));
      await page.screenshot({ path: path.join(shots, 'demo-phone.png') });
      await page.locator('#panel-toggle').tap();
      const open = await page.locator('#panel').boundingBox();
      assert(open.height > 300 && (await page.locator('#point').isVisible()), `panel ${open.height} px high when open`);
      assert(open.y > 0.35 * 844, 'the open panel hides most of the map');
      await page.screenshot({ path: path.join(shots, 'demo-phone-panel.png') });
      await page.locator('#panel-toggle').tap();
      assert((await page.locator('#panel').boundingBox()).height < 60, 'the panel did not collapse');
      await context.close();
    });
    await test('on a phone, Label & map by touch: taps mark places like and not like, taps draw a polygon, Fit & map paints the score', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
      await page.goto(`${srv.url}/?nosw`);
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      const sheet = () => page.locator('#panel-toggle').tap();
      await sheet();
      await page.locator('input[name=click][value=label]').tap();
      await page.selectOption('#probe-kind', 'similar');
      await page.selectOption('#resolution', '32');
      await sheet();
      await page.evaluate(() => georangeMap.jumpTo({ center: [10, 20], zoom: 1 }));
      const box = await page.locator('#map').boundingBox();
      const tap = async ([lon, lat], counter) => {
        const n = await page.evaluate((c) => window.georangeDemo[c] ?? 0, counter);
        const pt = await page.evaluate(([lon, lat]) => { const p = georangeMap.project([lon, lat]); return [p.x, p.y]; }, [lon, lat]);
        await page.touchscreen.tap(box.x + pt[0], box.y + pt[1]);
        await page.waitForFunction(([c, n]) => window.georangeDemo[c] === n + 1, [counter, n], { timeout: 10_000 });
      };
      for (const p of [[0, 24], [12, 22], [25, 26], [-8, 20]]) await tap(p, 'labels');
      await sheet();
      await page.locator('input[name=like][value=unlike]').tap();
      await sheet();
      for (const p of [[20, 48], [25, -5], [-5, 45], [35, 0]]) await tap(p, 'labels');
      // A polygon of "not like" over central Africa's forest, by taps.
      await sheet();
      await page.locator('#polygon-draw').tap();
      await sheet();
      for (const p of [[12, -8], [28, -8], [28, 4], [12, 4]]) await tap(p, 'corners');
      await sheet();
      await page.locator('#polygon-draw').tap();
      assert((await page.evaluate(() => window.georangeDemo.labels)) === 8 + 20, 'the polygon adds 20 places');
      const n = await page.evaluate(() => window.georangeDemo.layerDone);
      await page.locator('#probe-fit').tap();
      await page.waitForFunction((n) => window.georangeDemo.layerDone > n && window.georangeDemo.probe, n, { timeout: 300_000 });
      const score = await page.textContent('#probe-score');
      assert(/28 labels, more like 4, not like 24 \(logistic\)/.test(score) && /cross-validated accuracy/.test(score), score);
      assert(!(await page.locator('#legend').isHidden()), 'no legend');
      // A ramp, not class colours: many colours, and the Sahara scores above the Congo.
      const { distinct, sahara, congo } = await page.evaluate(() => {
        const probe = window.georangeDemo.probe;
        const c = window.georangeDemo.layerCanvas;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) if (d[i + 3]) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return probe.predict([5, 23, 22, -2]).then(({ values }) => ({ distinct: seen.size, sahara: values[0], congo: values[1] }));
      });
      assert(distinct > 10 && sahara > congo, JSON.stringify({ distinct, sahara, congo }));
      await sheet();
      await page.screenshot({ path: path.join(shots, 'demo-phone-label.png') });
      await context.close();
    });
  } finally { await browser.close(); await srv.close(); }
}

// Offline: first visit with the service worker, then the server goes away.
{
  const srv = await serve(path.join(root, 'www'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    await test('offline: after one visit the page loads and embeds with the server stopped', async () => {
      const page = await openPage(browser, `${srv.url}/`);
      await page.evaluate(async () => { await navigator.serviceWorker.ready; });
      await page.reload();
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      assert(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), 'page not controlled by the service worker');
      await srv.close();
      await page.reload();
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      const { vector } = await clickAt(page, 10, 10);
      assert(vector.length === 788, `dim ${vector.length}`);
      await page.screenshot({ path: path.join(shots, 'demo-offline.png') });
    });
  } finally { await browser.close(); await srv.close().catch(() => {}); }
}

{
  // A new deployment: the same site, its package and model files replaced.
  const site = path.join(work, 'deployed');
  fs.rmSync(site, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'www'), site, { recursive: true, dereference: true });
  const srv = await serve(site);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    await test('a new deployment (package and models) replaces the old one on the next visit, nothing cleared by hand', async () => {
      const page = await openPage(browser, `${srv.url}/`);
      await page.evaluate(async () => { await navigator.serviceWorker.ready; });
      await page.reload();
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      const statuses = [];
      page.on('response', (r) => { if (r.url().endsWith('/models/geoclip/encoder.safetensors')) statuses.push(r.status()); });
      await page.reload(); // unchanged: the package's cached model is revalidated (304)
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      fs.appendFileSync(path.join(site, 'pkg/georange.js'), '\nglobalThis.georangeDeployment = 2;\n');
      const encoder = path.join(site, 'models/geoclip/encoder.safetensors');
      fs.writeFileSync(encoder, fs.readFileSync(encoder)); // republished: new validators
      fs.utimesSync(encoder, new Date(), new Date(Date.now() + 5000));
      await page.reload();
      await page.waitForFunction(() => window.georangeDemo?.ready === true, null, { timeout: 180_000 });
      assert(await page.evaluate(() => globalThis.georangeDeployment) === 2, 'the old package still runs');
      assert(statuses.join() === '304,200', `encoder statuses ${statuses}`);
      const { vector } = await clickAt(page, 10, 10);
      assert(vector.length === 788, `dim ${vector.length}`);
    });
  } finally { await browser.close(); await srv.close().catch(() => {}); }
}
console.log(`demo: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
