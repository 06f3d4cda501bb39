// The npm package over time, in headless Chromium (issue 31): the Cache API policy
// (js/fetch.js: revalidate by default, 'prefer', false), a damaged or stale cached file that
// heals itself, a file republished at the same URL, offline use, clearCache(), and two
// different models embedding at once.
//
//   node tests/browser/long_use.mjs        (after ./build.sh; needs Debian's chromium)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tools/dev/serve.mjs';
import { assert, launch, results, test } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/long-use');
const cli = path.join(root, 'target/release/georange');

fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`, '--out', `${work}/l40`]);
const encoderBytes = fs.readFileSync(`${work}/l40/encoder.safetensors`);
const bankBytes = fs.readFileSync(`${work}/l40/bank.safetensors`);
const geoclipEncoder = fs.readFileSync(path.join(root, 'www/models/geoclip/encoder.safetensors'));
const otherBank = fs.readFileSync(path.join(root, 'tests/hostile/bank_other_encoder.safetensors'));
const files = { encoder: '/out/long-use/l40/encoder.safetensors', bank: '/out/long-use/l40/bank.safetensors' };
const points = [0, 0, -90.19, 38.63, 85.32, 27.72, 179.9, -60];

const server = await serve(root);
const browser = await launch(false);

/** A fresh page (its own Cache API) on the harness, with its page errors collected. */
async function freshPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const uncaught = [];
  page.on('pageerror', (e) => uncaught.push(e.message));
  await page.goto(`${server.url}/tests/browser/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return { page, uncaught, close: () => context.close() };
}

/** Plants `bytes` in the package's cache under `url`, with the server's current ETag when
 * `current` (so that a revalidating load is told it is up to date), else with none. */
const plant = (page, url, bytes, current) => page.evaluate(async ({ url, bytes, current }) => {
  const headers = { 'content-length': String(bytes.length) };
  if (current) headers.etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
  await (await caches.open('georange-models-v1')).put(url, new Response(new Uint8Array(bytes), { headers }));
}, { url, bytes: Array.from(bytes), current });

/** Loads `options` in the page; resolves to what happened, never rejects. */
const load = (page, options) => page.evaluate(async ({ options, points }) => {
  try {
    const m = await GeoRange.load({ device: 'cpu', ...options });
    const out = Array.from(await m.embed(Float64Array.from(points)));
    const result = { ok: true, note: m.note, dim: m.dimOf('encoder'), out };
    m.dispose();
    return result;
  } catch (e) {
    return { ok: false, code: e.code, message: e.message };
  }
}, { options, points });

const cachedSize = (page, url) => page.evaluate(async (url) => {
  const hit = await (await caches.open('georange-models-v1')).match(url);
  return hit ? (await hit.arrayBuffer()).byteLength : null;
}, url);

/** Counts the requests for `url` and the statuses the server answered them with. */
function watch(page, url) {
  const seen = { requests: 0, statuses: [] };
  page.on('response', (r) => { if (new URL(r.url()).pathname === url) { seen.requests++; seen.statuses.push(r.status()); } });
  return seen;
}

try {
  const { page: base, close: closeBase } = await freshPage();
  const want = await load(base, { ...files, cache: false });
  assert(want.ok, `reference load: ${want.message}`);
  await closeBase();

  await test('a damaged cached file the server calls current is dropped, downloaded again, and the good copy cached', async () => {
    const { page, uncaught, close } = await freshPage();
    await plant(page, files.encoder, encoderBytes.subarray(0, encoderBytes.length >> 1), true);
    const seen = watch(page, files.encoder);
    const r = await load(page, files);
    assert(r.ok, `${r.code}: ${r.message}`);
    assert(/cached encoder did not load; downloaded again/.test(r.note), `note: ${r.note}`);
    assert(JSON.stringify(r.out) === JSON.stringify(want.out), 'rows differ from a load without the cache');
    assert(seen.statuses.join() === '304,200', `statuses ${seen.statuses}`);
    assert(await cachedSize(page, files.encoder) === encoderBytes.length, 'the good copy was not cached');
    const again = await load(page, files);
    assert(again.ok && again.note === '', `second load: ${again.message ?? again.note}`);
    assert(uncaught.length === 0, uncaught.join('; '));
    await close();
  });

  await test("an encoder and a bank cached from two publications heal; with 'prefer' too", async () => {
    for (const cache of ['revalidate', 'prefer']) {
      const { page, close } = await freshPage();
      await plant(page, files.encoder, encoderBytes, true);
      await plant(page, files.bank, otherBank, true);
      const r = await load(page, { ...files, cache });
      assert(r.ok, `${cache}: ${r.code}: ${r.message}`);
      assert(/did not load; downloaded again/.test(r.note), `${cache} note: ${r.note}`);
      assert(JSON.stringify(r.out) === JSON.stringify(want.out), `${cache}: rows differ`);
      assert(await cachedSize(page, files.bank) === bankBytes.length, `${cache}: the good bank was not cached`);
      await close();
    }
  });

  await test("a damaged cache and a damaged network copy: load rejects with the network copy's error", async () => {
    const { page, uncaught, close } = await freshPage();
    await page.route(`**${files.encoder}`, (route) => route.fulfill({ body: bankBytes, contentType: 'application/octet-stream' }));
    await plant(page, files.encoder, encoderBytes.subarray(0, 100), false);
    const r = await load(page, { ...files, cache: 'prefer' });
    assert(!r.ok && r.code === 'bad_file', `${r.code}: ${r.message}`);
    assert(/georange-encoder/.test(r.message), `not the network copy's error: ${r.message}`);
    assert(await cachedSize(page, files.encoder) === null, 'a bad file stayed cached');
    assert(uncaught.length === 0, uncaught.join('; '));
    await close();
  });

  await test('a file republished at the same URL replaces the cached one on the next load; an unchanged one is a 304', async () => {
    const { page, close } = await freshPage();
    const url = '/published/encoder.safetensors';
    let version = { bytes: encoderBytes, etag: '"v1"' };
    await page.route(`**${url}`, (route) => (route.request().headers()['if-none-match'] === version.etag
      ? route.fulfill({ status: 304, headers: { etag: version.etag } })
      : route.fulfill({ body: version.bytes, headers: { etag: version.etag, 'content-type': 'application/octet-stream' } })));
    const seen = watch(page, url);
    const first = await load(page, { encoder: url });
    const same = await load(page, { encoder: url });
    version = { bytes: geoclipEncoder, etag: '"v2"' };
    const updated = await load(page, { encoder: url });
    assert(first.ok && same.ok && updated.ok, `${first.message ?? ''} ${same.message ?? ''} ${updated.message ?? ''}`);
    assert(first.dim === 256 && same.dim === 256 && updated.dim === 512, `dims ${first.dim}, ${same.dim}, ${updated.dim}`);
    assert(seen.statuses.join() === '200,304,200', `statuses ${seen.statuses}`);
    assert(await cachedSize(page, url) === geoclipEncoder.length, 'the new file was not cached');
    await close();
  });

  await test("offline, a cached file is used and note says so; 'prefer' asks nothing; cache false caches nothing; clearCache empties", async () => {
    const { page, close } = await freshPage();
    const cached = await load(page, files);
    assert(cached.ok, cached.message);
    await page.route('**/out/long-use/**', (route) => route.abort('internetdisconnected'));
    const offline = await load(page, files);
    assert(offline.ok && /server could not be reached.*using the cached copy/.test(offline.note), `offline: ${offline.message ?? offline.note}`);
    assert(JSON.stringify(offline.out) === JSON.stringify(want.out), 'offline rows differ');
    await page.unroute('**/out/long-use/**');
    const seen = watch(page, files.encoder);
    const preferred = await load(page, { ...files, cache: 'prefer' });
    assert(preferred.ok && preferred.note === '' && seen.requests === 0, `prefer: ${seen.requests} requests, ${preferred.note}`);
    const bad = await load(page, { ...files, cache: 'sometimes' });
    assert(!bad.ok && bad.code === 'invalid_argument', `${bad.code}`);
    const cleared = await page.evaluate(() => GeoRange.clearCache());
    assert(cleared === true && (await cachedSize(page, files.encoder)) === null, 'clearCache left the file');
    await load(page, { ...files, cache: false });
    assert(await cachedSize(page, files.encoder) === null, 'cache: false cached the file');
    await close();
  });

  await test('two different models on one page embed at once as each does alone', async () => {
    const { page, uncaught, close } = await freshPage();
    const r = await page.evaluate(async ({ files, points }) => {
      const demo = { encoder: '/www/models/geoclip/encoder.safetensors', bank: '/www/models/geoclip/bluemarble-bank.safetensors' };
      const [a, b] = await Promise.all([GeoRange.load({ ...files, device: 'cpu', cache: false }),
        GeoRange.load({ ...demo, device: 'cpu', cache: false })]);
      const p = Float64Array.from(points);
      // Each model alone first, then both at once, their calls interleaved.
      const kinds = ['range+', 'range'];
      const alone = [];
      for (const m of [a, b]) for (const variant of kinds) alone.push(Array.from(await m.embed(p, { variant })));
      const calls = [];
      const expected = [];
      for (let i = 0; i < 6; i++) {
        [a, b].forEach((m, k) => {
          calls.push(m.embed(p, { variant: kinds[i % 2] }));
          expected.push(alone[k * 2 + (i % 2)]);
        });
      }
      const together = (await Promise.all(calls)).map((x) => Array.from(x));
      const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
      const bad = together.filter((x, i) => !same(x, expected[i]));
      const result = { workers: [a.workers, b.workers], bad: bad.length, dims: [a.dimOf('range+'), b.dimOf('range+')] };
      a.dispose();
      b.dispose();
      return result;
    }, { files, points });
    assert(r.bad === 0, `${r.bad} of 12 concurrent results differ from the model alone (workers ${r.workers})`);
    assert(r.dims[0] !== r.dims[1] && r.workers[1] === 2, `dims ${r.dims}, workers ${r.workers}`);
    assert(uncaught.length === 0, uncaught.join('; '));
    await close();
  });
} finally {
  await browser.close();
  await server.close();
}
console.log(`long use: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
