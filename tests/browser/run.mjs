// Browser tests: the npm package (pkg/, made by build.sh) in headless Chromium, on WebGPU
// (SwiftShader's software adapter, via --enable-unsafe-webgpu) and on the CPU fallback (the
// same browser without WebGPU), against the reference's golden outputs and the native CLI.
//
//   node tests/browser/run.mjs        (after ./build.sh; needs Debian's chromium)
//
// Tolerances (issue 4): WebGPU vs golden, cosine ≥ 0.999 on every row and relative error
// ≤ 1e-3 for |lat| < 60°, for the encoder, RANGE and RANGE+; the CPU fallback matches the
// native CPU path (relative error ≤ 1e-5 per row).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../tools/serve.mjs';
import { readNpy } from './npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/browser-tests');
const cli = path.join(root, 'target/release/georange');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const results = { passed: 0, failed: 0 };
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// ---- inputs: fixture model converted by the CLI, queries, goldens, native CPU output ----
fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`, '--out', `${work}/l40`]);
execFileSync(cli, ['embed', '--encoder', `${work}/l40/encoder.safetensors`, '--bank', `${work}/l40/bank.safetensors`,
  '--model', 'range+', '--beta', '0.5', '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_b05.npy`]);
const truncated = fs.readFileSync(`${work}/l40/encoder.safetensors`);
fs.writeFileSync(`${work}/truncated.safetensors`, truncated.subarray(0, truncated.length - 1000));
const queries = fs.readFileSync(`${fixtures}/queries.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const points = queries.flatMap(([, lat, lon]) => [Number(lon), Number(lat)]);
const absLat = queries.map(([, lat]) => Math.abs(Number(lat)));
const golden = (tag) => readNpy(`${fixtures}/golden_l40_${tag}.npy`);
const files = { encoder: '/out/browser-tests/l40/encoder.safetensors', bank: '/out/browser-tests/l40/bank.safetensors' };

function compareRows(got, want, dim, check) {
  for (let i = 0; i < want.length / dim; i++) {
    const g = got.slice(i * dim, (i + 1) * dim);
    const w = want.slice(i * dim, (i + 1) * dim);
    let dot = 0, gg = 0, ww = 0, dd = 0;
    for (let j = 0; j < dim; j++) { dot += g[j] * w[j]; gg += g[j] * g[j]; ww += w[j] * w[j]; dd += (g[j] - w[j]) ** 2; }
    check(i, dot / Math.sqrt(gg * ww), Math.sqrt(dd / ww));
  }
}

async function withBrowser(webgpu, fn) {
  const args = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic', '--disable-gpu-sandbox'];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan');
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
    await page.goto(`${server.url}/tests/browser/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    await fn(page);
  } finally {
    await browser.close();
  }
}

const server = await serve(root);
const embedIn = (page, opts) => page.evaluate(async ({ files, points, opts }) => {
  const m = await GeoRange.load({ ...files, device: opts.device, cache: false });
  const out = [];
  for (const c of opts.cases) out.push(Array.from(await m.embed(Float64Array.from(points), c)));
  return { backend: m.backend, note: m.note, out };
}, { files, points, opts });

const CASES = [
  ['encoder', { model: 'encoder' }], ['range', { model: 'range' }], ['rangeplus_b0', { model: 'range+', beta: 0 }],
  ['rangeplus_b05', { model: 'range+', beta: 0.5 }], ['rangeplus_b1', { model: 'range+', beta: 1 }],
];

try {
  await withBrowser(true, async (page) => {
    const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
    await test('WebGPU adapter is present with --enable-unsafe-webgpu', () => assert(adapter, 'no adapter'));
    let res;
    await test('load on webgpu', async () => {
      res = await embedIn(page, { device: 'webgpu', cases: CASES.map(([, c]) => c) });
      assert(res.backend === 'webgpu', `backend ${res.backend}`);
    });
    for (const [k, [tag]] of CASES.entries()) {
      await test(`webgpu ${tag} vs reference golden`, () => {
        const want = golden(tag);
        compareRows(res.out[k], want.data, want.shape[1], (i, cos, rel) => {
          assert(cos >= 0.999, `row ${i}: cosine ${cos}`);
          if (absLat[i] < 60) assert(rel <= 1e-3, `row ${i} |lat| ${absLat[i]}: relative error ${rel}`);
        });
      });
    }
    await test('a truncated file rejects with a clear message', async () => {
      const msg = await page.evaluate(async () => GeoRange.load({ encoder: '/out/browser-tests/truncated.safetensors', cache: false })
        .then(() => 'resolved', (e) => e.message));
      assert(/encoder/.test(msg) && msg !== 'resolved', msg);
    });
    await test('a missing file rejects naming the URL', async () => {
      const msg = await page.evaluate(async () => GeoRange.load({ encoder: '/nope.safetensors', cache: false }).then(() => 'resolved', (e) => e.message));
      assert(/nope\.safetensors/.test(msg) && /404/.test(msg), msg);
    });
    await test('bad coordinates reject naming the row', async () => {
      const msg = await page.evaluate(async (files) => {
        const m = await GeoRange.load({ ...files, cache: false });
        return m.embed([0, 0, 1, 1, 5, 95], { batchSize: 2 }).then(() => 'resolved', (e) => e.message);
      }, files);
      assert(/row 2/.test(msg) && /latitude 95/.test(msg), msg);
    });
    await test('concurrent calls are queued, not interleaved', async () => {
      const ok = await page.evaluate(async ({ files, points }) => {
        const m = await GeoRange.load({ ...files, cache: false });
        const a = Float64Array.from(points.slice(0, 40));
        const b = Float64Array.from(points.slice(40, 80));
        const [x, y] = await Promise.all([m.embed(a, { batchSize: 3 }), m.embed(b, { batchSize: 3 })]);
        const x1 = await m.embed(a);
        const y1 = await m.embed(b);
        const same = (p, q) => p.length === q.length && p.every((v, i) => Math.abs(v - q[i]) <= 1e-5 * (1 + Math.abs(q[i])));
        return same(x, x1) && same(y, y1);
      }, { files, points });
      assert(ok, 'results of concurrent calls differ from sequential ones');
    });
    await test('dispose() during embed() rejects that call', async () => {
      const msg = await page.evaluate(async ({ files, points }) => {
        const m = await GeoRange.load({ ...files, cache: false });
        const p = m.embed(Float64Array.from(points), { batchSize: 5 });
        m.dispose();
        return p.then(() => 'resolved', (e) => e.message);
      }, { files, points });
      assert(/disposed/.test(msg), msg);
    });
    await test('works in a Web Worker', async () => {
      const res = await page.evaluate(async ({ files, points }) => new Promise((resolve) => {
        const w = new Worker('/tests/browser/worker.js', { type: 'module' });
        w.onmessage = (e) => resolve(e.data);
        w.postMessage({ ...files, device: 'auto', points: points.slice(0, 20), model: 'range+', beta: 0.5 });
      }), { files, points });
      assert(!res.error, res.error);
      const want = golden('rangeplus_b05');
      compareRows(res.out, want.data.slice(0, 10 * want.shape[1]), want.shape[1], (i, cos) => assert(cos >= 0.999, `row ${i}: cosine ${cos}`));
    });
    await test('downloads are kept in the Cache API and reused', async () => {
      const res = await page.evaluate(async (files) => {
        await caches.delete('georange-models-v1');
        await GeoRange.load({ ...files, device: 'cpu' });
        const cache = await caches.open('georange-models-v1');
        const keys = (await cache.keys()).map((r) => new URL(r.url).pathname);
        const events = [];
        await GeoRange.load({ ...files, device: 'cpu', onProgress: (p) => events.push(p) });
        return { keys, events: events.length };
      }, files);
      assert(res.keys.includes(files.encoder) && res.keys.includes(files.bank), JSON.stringify(res.keys));
      assert(res.events > 0, 'no progress from the cached load');
    });
    await test('download progress reports bytes done and total', async () => {
      const seen = await page.evaluate(async (files) => {
        const events = [];
        await GeoRange.load({ ...files, cache: false, onProgress: (p) => events.push(p) });
        return events;
      }, files);
      const last = seen.filter((e) => e.file === 'bank').at(-1);
      assert(last && last.loaded === last.total && last.total > 0, JSON.stringify(seen.slice(-3)));
    });
  });

  await withBrowser(false, async (page) => {
    const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
    await test('without the WebGPU flag there is no adapter', () => assert(!adapter, 'adapter present'));
    await test('device auto falls back to the CPU and says so; matches native CPU', async () => {
      const res = await embedIn(page, { device: 'auto', cases: [{ model: 'range+', beta: 0.5 }] });
      assert(res.backend === 'cpu', `backend ${res.backend}`);
      assert(/WebGPU unavailable/.test(res.note), `note: ${res.note}`);
      const native = readNpy(`${work}/native_b05.npy`);
      compareRows(res.out[0], native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `row ${i}: relative error ${rel}`));
    });
    await test('device webgpu without an adapter rejects clearly', async () => {
      const msg = await page.evaluate(async (files) => GeoRange.load({ ...files, device: 'webgpu', cache: false }).then(() => 'resolved', (e) => e.message), files);
      assert(/adapter|WebGPU|wgpu/i.test(msg) && msg !== 'resolved', msg);
    });
  });
} finally {
  await server.close();
}
console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
