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
import { serve } from '../../tools/dev/serve.mjs';
import { assert, compareRows, launch, results, test } from './lib.mjs';
import { readNpy } from './npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/browser-tests');
const cli = path.join(root, 'target/release/georange');


// ---- inputs: fixture model converted by the CLI, queries, goldens, native CPU output ----
fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`, '--out', `${work}/l40`]);
execFileSync(cli, ['embed', '--encoder', `${work}/l40/encoder.safetensors`, '--bank', `${work}/l40/bank.safetensors`,
  '--model', 'range+', '--beta', '0.5', '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_b05.npy`]);
execFileSync(cli, ['embed', '--encoder', `${work}/l40/encoder.safetensors`, '--bank', `${work}/l40/bank.safetensors`,
  '--model', 'range+', '--beta', '0.2', '--geo-cutoff-deg', '30', '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_b02_cut30.npy`]);
// An int8 bank: the CPU fallback reads its codes in place (src/attention/cpu/; WebAssembly SIMD in src/attention/cpu/simd128.rs).
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`,
  '--dtype', 'int8', '--out', `${work}/l40_int8`]);
// …and, with `--compute int8`, the score pass in int8 arithmetic (src/attention/cpu/int8.rs).
for (const [model, beta, tag, compute] of [['range', '0.5', 'range', 'exact'], ['range+', '0.5', 'b05', 'exact'], ['range+', '0.5', 'b05_int8c', 'int8']]) {
  execFileSync(cli, ['embed', '--encoder', `${work}/l40_int8/encoder.safetensors`, '--bank', `${work}/l40_int8/bank.safetensors`,
    '--model', model, '--beta', beta, '--compute', compute, '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_int8_${tag}.npy`]);
}
const truncated = fs.readFileSync(`${work}/l40/encoder.safetensors`);
fs.writeFileSync(`${work}/truncated.safetensors`, truncated.subarray(0, truncated.length - 1000));
const queries = fs.readFileSync(`${fixtures}/queries.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const points = queries.flatMap(([, lat, lon]) => [Number(lon), Number(lat)]);
const absLat = queries.map(([, lat]) => Math.abs(Number(lat)));
const golden = (tag) => readNpy(`${fixtures}/golden_l40_${tag}.npy`);
const files = { encoder: '/out/browser-tests/l40/encoder.safetensors', bank: '/out/browser-tests/l40/bank.safetensors' };
// The demo's model (build.sh): GeoCLIP and its 38 MB Blue Marble bank, large enough for CPU workers.
const LARGE = { encoder: '/www/models/geoclip/encoder.safetensors', bank: '/www/models/geoclip/bluemarble-bank.safetensors' };

async function withBrowser(webgpu, fn) {
  const browser = await launch(webgpu);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
    // Keep every WebGPU device the page creates, so a test can destroy it (a lost device).
    await page.addInitScript(() => {
      if (!self.GPUAdapter) return;
      const request = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        (self.gpuDevices ??= []).push(device);
        return device;
      };
    });
    await page.goto(`${server.url}/tests/browser/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    await fn(page);
  } finally {
    await browser.close();
  }
}

const server = await serve(root);
const embedIn = (page, opts) => page.evaluate(async ({ files, points, opts }) => {
  const m = await GeoRange.load({ ...files, device: opts.device, cache: false, geoCutoffDeg: opts.geoCutoffDeg, gpuPrecision: opts.gpuPrecision, gpuAttention: opts.gpuAttention });
  const out = [];
  for (const c of opts.cases) out.push(Array.from(await m.embed(Float64Array.from(opts.points ?? points), c)));
  return { backend: m.backend, note: m.note, attention: m.gpuAttention, out };
}, { files, points, opts });

const CASES = [
  ['encoder', { variant: 'encoder' }], ['range', { variant: 'range' }], ['rangeplus_b0', { variant: 'range+', beta: 0 }],
  ['rangeplus_b05', { variant: 'range+', beta: 0.5 }], ['rangeplus_b1', { variant: 'range+', beta: 1 }],
];

try {
  await withBrowser(true, async (page) => {
    const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
    await test('WebGPU adapter is present with --enable-unsafe-webgpu', () => assert(adapter, 'no adapter'));
    let res;
    await test('every Rust error code is a code the JS errors carry', async () => {
      const got = await page.evaluate(async () => {
        const wasm = await import('/pkg/georange_wasm.js');
        const { ERROR_CODES } = await import('/pkg/georange.js');
        await GeoRange.load({ encoder: '/out/browser-tests/l40/encoder.safetensors', device: 'cpu', cache: false }); // initialises the module
        return { rust: wasm.errorCodes(), js: [...ERROR_CODES] };
      });
      const missing = got.rust.filter((c) => !got.js.includes(c));
      assert(got.rust.length >= 8 && !missing.length, `Rust codes ${got.rust}, missing in JS: ${missing}`);
    });
    await test('load on webgpu', async () => {
      res = await embedIn(page, { device: 'webgpu', cases: CASES.map(([, c]) => c) });
      assert(res.backend === 'webgpu', `backend ${res.backend}`);
    });
    await test('device auto passes over a software adapter (SwiftShader) for the CPU and says so', async () => {
      const r = await page.evaluate(async (files) => {
        const info = (await navigator.gpu.requestAdapter()).info;
        const auto = await GeoRange.load({ ...files, cache: false });
        const gpu = await GeoRange.load({ ...files, device: 'webgpu', cache: false });
        return { software: info.isFallbackAdapter, backend: auto.backend, note: auto.note, adapter: gpu.adapter, gpuNote: gpu.note };
      }, files);
      assert(r.software === true, `SwiftShader not reported as a fallback adapter: ${r.software}`);
      assert(r.backend === 'cpu' && /software adapter/.test(r.note), `auto: ${r.backend} (${r.note})`);
      assert(/swiftshader/.test(r.adapter) && /software fallback adapter/.test(r.adapter) && r.gpuNote === '', `webgpu: ${r.adapter} (${r.gpuNote})`);
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
    await test('approximate RANGE+ (geoCutoffDeg) on webgpu matches the native CLI', async () => {
      // 12 points: each group of nearby points is its own dispatch, slow on SwiftShader.
      const r = await embedIn(page, { device: 'webgpu', geoCutoffDeg: 30, points: points.slice(0, 24), cases: [{ variant: 'range+', beta: 0.2 }] });
      const native = readNpy(`${work}/native_b02_cut30.npy`);
      const dim = native.shape[1];
      compareRows(r.out[0], native.data.slice(0, 12 * dim), dim, (i, cos, rel) => assert(cos >= 0.9999, `row ${i}: cosine ${cos}`));
    });
    await test('an f16 bank on webgpu (gpuPrecision) stays within f32 tolerance, or says it cannot', async () => {
      const r = await embedIn(page, { device: 'webgpu', gpuPrecision: 'f16', cases: [{ variant: 'range' }] });
      assert(r.backend === 'webgpu', `backend ${r.backend}`);
      if (r.note) {
        assert(/F16 unavailable/.test(r.note) && /stays f32/.test(r.note), r.note);
        console.log(`  (this adapter has no f16: ${r.note})`);
      }
      const want = golden('range');
      compareRows(r.out[0], want.data, want.shape[1], (i, cos) => assert(cos >= 0.999, `row ${i}: cosine ${cos}`));
      const err = await page.evaluate(async (files) => GeoRange.load({ ...files, cache: false, gpuPrecision: 'f8' })
        .then(() => 'resolved', (e) => ({ name: e.name, code: e.code, message: e.message })), files);
      assert(err.name === 'GeoRangeError' && err.code === 'invalid_argument', JSON.stringify(err));
    });
    await test('an int8 bank on webgpu (gpuPrecision) stays within f32 tolerance', async () => {
      const r = await embedIn(page, { device: 'webgpu', gpuPrecision: 'int8', cases: [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }] });
      assert(r.backend === 'webgpu' && !r.note, `backend ${r.backend}, note ${r.note}`);
      for (const [i, tag] of [[0, 'range'], [1, 'rangeplus_b05']]) {
        const want = golden(tag);
        compareRows(r.out[i], want.data, want.shape[1], (row, cos) => assert(cos >= 0.999, `${tag} row ${row}: cosine ${cos}`));
      }
    });
    await test('fused attention (the webgpu default) matches the stream (gpuAttention) within 1e-5, f32 and int8 banks', async () => {
      assert(res.attention === 'fused', `default attention ${res.attention}`);
      const r = await embedIn(page, { device: 'webgpu', gpuAttention: 'stream', cases: [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }] });
      assert(r.backend === 'webgpu' && !r.note && r.attention === 'stream', `backend ${r.backend}, note ${r.note}, attention ${r.attention}`);
      for (const [i, k] of [[0, 1], [1, 3]]) {
        const dim = golden(CASES[k][0]).shape[1];
        compareRows(Float32Array.from(res.out[k]), Float32Array.from(r.out[i]), dim, (row, cos, rel) => assert(rel <= 1e-5, `${CASES[k][0]} row ${row}: relative error ${rel}`));
      }
      // An int8 bank: the kernel reads its codes in place.
      const i8 = await embedIn(page, { device: 'webgpu', gpuPrecision: 'int8', cases: [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }] });
      const i8s = await embedIn(page, { device: 'webgpu', gpuPrecision: 'int8', gpuAttention: 'stream', cases: [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }] });
      assert(i8.attention === 'fused' && i8s.attention === 'stream' && !i8.note, `int8: ${i8.attention} / ${i8s.attention} ${i8.note}`);
      for (const [i, k] of [[0, 1], [1, 3]]) {
        const dim = golden(CASES[k][0]).shape[1];
        compareRows(Float32Array.from(i8s.out[i]), Float32Array.from(i8.out[i]), dim, (row, cos, rel) => assert(rel <= 1e-5, `int8 ${CASES[k][0]} row ${row}: relative error ${rel}`));
      }
      // burn's op is not in the browser build.
      for (const bad of ['flash', 'fast']) {
        const err = await page.evaluate(async ([files, bad]) => GeoRange.load({ ...files, cache: false, gpuAttention: bad })
          .then(() => 'resolved', (e) => ({ code: e.code, message: e.message })), [files, bad]);
        assert(err.code === 'invalid_argument', JSON.stringify(err));
      }
    });
    await test('a truncated file rejects with code bad_file', async () => {
      const err = await page.evaluate(async () => GeoRange.load({ encoder: '/out/browser-tests/truncated.safetensors', cache: false })
        .then(() => 'resolved', (e) => ({ name: e.name, code: e.code, message: e.message })));
      assert(err.name === 'GeoRangeError' && err.code === 'bad_file', JSON.stringify(err));
    });
    await test('a missing file rejects with code network, naming the URL', async () => {
      const err = await page.evaluate(async () => GeoRange.load({ encoder: '/nope.safetensors', cache: false })
        .then(() => 'resolved', (e) => ({ code: e.code, message: e.message })));
      assert(err.code === 'network' && err.message.includes('/nope.safetensors'), JSON.stringify(err));
    });
    await test('bad coordinates reject with code bad_coordinate and the caller\'s row', async () => {
      const err = await page.evaluate(async (files) => {
        const m = await GeoRange.load({ ...files, device: 'webgpu', cache: false });
        return m.embed([0, 0, 1, 1, 5, 95], { batchSize: 2 }).then(() => 'resolved', (e) => ({ code: e.code, row: e.row, message: e.message }));
      }, files);
      assert(err.code === 'bad_coordinate' && err.row === 2, JSON.stringify(err));
    });
    await test('concurrent calls are queued, not interleaved', async () => {
      const ok = await page.evaluate(async ({ files, points }) => {
        const m = await GeoRange.load({ ...files, device: 'webgpu', cache: false });
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
        const m = await GeoRange.load({ ...files, device: 'webgpu', cache: false });
        const p = m.embed(Float64Array.from(points), { batchSize: 5 });
        m.dispose();
        return p.then(() => 'resolved', (e) => e.code);
      }, { files, points });
      assert(msg === 'disposed', msg);
    });
    await test('works in a Web Worker', async () => {
      const res = await page.evaluate(async ({ files, points }) => new Promise((resolve) => {
        const w = new Worker('/tests/browser/worker.js', { type: 'module' });
        w.onmessage = (e) => resolve(e.data);
        w.postMessage({ ...files, device: 'webgpu', points: points.slice(0, 20), variant: 'range+', beta: 0.5 });
      }), { files, points });
      assert(!res.error, res.error);
      assert(res.backend === 'webgpu', `backend ${res.backend}`);
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
    await test('an aborted download is retried once', async () => {
      let tries = 0;
      await page.route('**/flaky/encoder.safetensors', (route) => (++tries === 1
        ? route.abort('connectionreset')
        : route.fulfill({ path: `${work}/l40/encoder.safetensors` })));
      const backend = await page.evaluate(async () => (await GeoRange.load({ encoder: '/flaky/encoder.safetensors', device: 'cpu', cache: false })).backend);
      assert(backend === 'cpu' && tries === 2, `backend ${backend} after ${tries} tries`);
    });
    await test('a download aborted twice rejects clearly and caches nothing', async () => {
      let tries = 0;
      await page.route('**/dead/encoder.safetensors', (route) => { tries++; return route.abort('connectionreset'); });
      const res = await page.evaluate(async () => {
        const err = await GeoRange.load({ encoder: '/dead/encoder.safetensors', device: 'cpu' }).then(() => 'resolved', (e) => ({ code: e.code, message: e.message }));
        const cached = await (await caches.open('georange-models-v1')).match('/dead/encoder.safetensors');
        return { err, cached: Boolean(cached) };
      });
      assert(res.err.code === 'network' && res.err.message.includes('/dead/encoder.safetensors') && tries === 2, `${JSON.stringify(res.err)} after ${tries} tries`);
      assert(!res.cached, 'a failed download was cached');
    });
    await test('a partial or unparsable download is never cached', async () => {
      const full = fs.readFileSync(`${work}/l40/encoder.safetensors`);
      await page.route('**/short/encoder.safetensors', (route) => route.fulfill({ body: full.subarray(0, full.length >> 1) }));
      const res = await page.evaluate(async () => {
        const code = await GeoRange.load({ encoder: '/short/encoder.safetensors', device: 'cpu' }).then(() => 'resolved', (e) => e.code);
        const cached = await (await caches.open('georange-models-v1')).match('/short/encoder.safetensors');
        return { code, cached: Boolean(cached) };
      });
      assert(res.code === 'bad_file', res.code);
      assert(!res.cached, 'a truncated file was cached');
    });
    await test('a pinned file loads; another is refused with code integrity and never cached', async () => {
      const pin = (file) => execFileSync(cli, ['info', file], { encoding: 'utf8' }).match(/^pin (\S+)$/m)[1];
      const [encoderPin, bankPin] = [pin(`${work}/l40/encoder.safetensors`), pin(`${work}/l40/bank.safetensors`)];
      const bytes = fs.readFileSync(`${work}/l40/encoder.safetensors`);
      await page.route('**/pinned/encoder.safetensors', (route) => route.fulfill({ body: bytes }));
      const res = await page.evaluate(async ({ encoderPin, bankPin }) => {
        const url = '/pinned/encoder.safetensors';
        const wrong = await GeoRange.load({ encoder: url, device: 'cpu', integrity: { encoder: bankPin } }).then(() => null, (e) => ({ code: e.code, message: e.message }));
        const cachedWrong = Boolean(await (await caches.open('georange-models-v1')).match(url));
        const model = await GeoRange.load({ encoder: url, device: 'cpu', integrity: { encoder: encoderPin } });
        const v = await model.embed([2.35, 48.86], { variant: 'encoder' });
        model.dispose();
        const cachedRight = Boolean(await (await caches.open('georange-models-v1')).match(url));
        const malformed = await GeoRange.load({ encoder: url, device: 'cpu', integrity: { encoder: 'md5-00' } }).then(() => null, (e) => e.code);
        return { wrong, cachedWrong, dim: v.length, cachedRight, malformed };
      }, { encoderPin, bankPin });
      assert(res.wrong?.code === 'integrity' && res.wrong.message.includes(bankPin), JSON.stringify(res.wrong));
      assert(!res.cachedWrong, 'a file refused by its pin was cached');
      assert(res.dim === 256 && res.cachedRight, JSON.stringify(res));
      assert(res.malformed === 'invalid_argument', res.malformed);
    });
    // Last on this page: the page's WebGPU device stays lost.
    await test('a lost WebGPU device: the call finishes on the CPU and says so; a large bank keeps its CPU workers', async () => {
      const res = await page.evaluate(async ({ files, points, large }) => {
        const m = await GeoRange.load({ ...files, device: 'webgpu', cache: false });
        // The demo's 38 MB bank: on the CPU, 'auto' splits it over workers (src/model/device.rs).
        const big = await GeoRange.load({ ...large, device: 'webgpu', cache: false });
        const before = [m.backend, big.backend, big.workers];
        await m.embed(Float64Array.from(points.slice(0, 4)));
        for (const d of self.gpuDevices ?? []) d.destroy();
        const out = Array.from(await m.embed(Float64Array.from(points), { variant: 'range+', beta: 0.5 }));
        const bigOut = await big.embed(Float64Array.from(points.slice(0, 8)), { variant: 'range+', beta: 0.5 });
        const onCpu = await GeoRange.load({ ...large, device: 'cpu', cache: false });
        const want = await onCpu.embed(Float64Array.from(points.slice(0, 8)), { variant: 'range+', beta: 0.5 });
        const bigAfter = { backend: big.backend, workers: big.workers, note: big.note, cpuWorkers: onCpu.workers,
          worst: Math.max(...Array.from(bigOut, (v, i) => Math.abs(v - want[i]))) / Math.max(...Array.from(want, Math.abs)) };
        const later = await GeoRange.load({ ...files, device: 'auto', cache: false });
        const strict = await GeoRange.load({ ...files, device: 'webgpu', cache: false }).then(() => 'resolved', (e) => e.code);
        for (const x of [big, onCpu, later]) x.dispose();
        return { before, after: m.backend, note: m.note, out, bigAfter, later: later.backend, laterNote: later.note, strict,
          cores: navigator.hardwareConcurrency, devices: (self.gpuDevices ?? []).length };
      }, { files, points, large: LARGE });
      assert(res.before[1] === 'webgpu' && res.before[2] === 1, `the large bank before: ${res.before}`);
      const big = res.bigAfter;
      assert(big.backend === 'cpu' && /lost/.test(big.note), `the large bank after: ${big.backend} (${big.note})`);
      assert(big.workers === big.cpuWorkers && (res.cores < 2 || big.workers > 1), `workers after the loss: ${big.workers}, a CPU load: ${big.cpuWorkers}, cores ${res.cores}`);
      assert(big.worst <= 1e-5, `the large bank after the loss vs a CPU load: ${big.worst}`);
      assert(res.devices > 0, 'no WebGPU device was captured');
      assert(res.before[0] === 'webgpu' && res.after === 'cpu', `backend ${res.before[0]} → ${res.after}`);
      assert(/lost/.test(res.note), `note: ${res.note}`);
      assert(res.later === 'cpu' && /lost/.test(res.laterNote), `a later auto load: ${res.later} (${res.laterNote})`);
      assert(res.strict === 'device_lost', `a later webgpu load: ${res.strict}`);
      const want = golden('rangeplus_b05');
      compareRows(res.out, want.data, want.shape[1], (i, cos) => assert(cos >= 0.999, `row ${i}: cosine ${cos}`));
    });
  });

  await withBrowser(false, async (page) => {
    const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
    await test('without the WebGPU flag there is no adapter', () => assert(!adapter, 'adapter present'));
    await test('device auto falls back to the CPU and says so; matches native CPU', async () => {
      const res = await embedIn(page, { device: 'auto', cases: [{ variant: 'range+', beta: 0.5 }] });
      assert(res.backend === 'cpu', `backend ${res.backend}`);
      assert(/WebGPU unavailable/.test(res.note), `note: ${res.note}`);
      const native = readNpy(`${work}/native_b05.npy`);
      compareRows(res.out[0], native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `row ${i}: relative error ${rel}`));
    });
    // One thread, one point and 8 points per call (the fused kernel's two paths), RANGE and
    // RANGE+, then 2 workers; each against the native CLI (relative error ≤ 1e-5 per row).
    const int8Runs = (page) => page.evaluate(async ({ int8, points }) => {
      const m = await GeoRange.load({ ...int8, device: 'cpu', cache: false, workers: 1 });
      const runs = [];
      for (const batchSize of [1, 8]) {
        for (const c of [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }]) {
          runs.push(Array.from(await m.embed(Float64Array.from(points), { ...c, batchSize })));
        }
      }
      const sharded = await GeoRange.load({ ...int8, device: 'cpu', cache: false, workers: 2 });
      for (const c of [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }]) {
        runs.push(Array.from(await sharded.embed(Float64Array.from(points), { ...c, batchSize: 1 })));
      }
      // The score pass in int8 arithmetic, one thread and 2 workers, 1 and 64 points per call.
      const int8Compute = [];
      for (const model of [m, sharded]) {
        for (const batchSize of [1, 64]) {
          int8Compute.push(Array.from(await model.embed(Float64Array.from(points), { variant: 'range+', beta: 0.5, batchSize, compute: 'int8' })));
        }
      }
      return { runs, int8Compute, wasmUrl: m.wasmUrl, workers: [m.workers, sharded.workers] };
    }, { int8: { encoder: '/out/browser-tests/l40_int8/encoder.safetensors', bank: '/out/browser-tests/l40_int8/bank.safetensors' }, points });
    const checkInt8Runs = ({ runs, int8Compute, workers }) => {
      assert(workers[0] === 1 && workers[1] === 2, `workers ${workers}`);
      const want = [readNpy(`${work}/native_int8_range.npy`), readNpy(`${work}/native_int8_b05.npy`)];
      runs.forEach((got, k) => {
        const native = want[k % 2];
        compareRows(got, native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `run ${k}, row ${i}: relative error ${rel}`));
      });
      // `compute: 'int8'`: the native CLI's int8 numbers (every build sums the same integers),
      // and within cosine 0.9999 / relative error 1e-3 of the exact arithmetic.
      const [int8c, exact] = [readNpy(`${work}/native_int8_b05_int8c.npy`), want[1]];
      int8Compute.forEach((got, k) => {
        compareRows(got, int8c.data, int8c.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `int8 compute run ${k}, row ${i}: relative error ${rel}`));
        compareRows(got, exact.data, exact.shape[1], (i, cos, rel) => assert(cos >= 0.9999 && rel <= 1e-3, `int8 compute run ${k}, row ${i} against exact: cosine ${cos}, relative error ${rel}`));
      });
    };
    await test('an int8 bank on the CPU, one point and 8 points per call, one thread and 2 workers, matches the native CPU path (and with compute int8); Chromium runs the relaxed-SIMD module', async () => {
      const got = await int8Runs(page);
      assert(got.wasmUrl.endsWith('/pkg/georange_wasm_relaxed_bg.wasm'), `module ${got.wasmUrl}`);
      checkInt8Runs(got);
    });
    await test('a browser without relaxed SIMD runs the baseline module, which matches the native CPU path too', async () => {
      const other = await page.context().browser().newPage();
      try {
        // Such a browser fails to validate the package's relaxed-SIMD probe (f32x4.relaxed_madd: 0xfd 0x85 0x02).
        await other.addInitScript(() => {
          const validate = WebAssembly.validate;
          const relaxed = (b) => {
            const u = b instanceof Uint8Array ? b : new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength);
            return u.some((v, i) => v === 0xfd && u[i + 1] === 0x85 && u[i + 2] === 0x02);
          };
          WebAssembly.validate = (bytes) => (bytes.byteLength < 64 && relaxed(bytes) ? false : validate(bytes));
        });
        await other.goto(`${server.url}/tests/browser/harness.html`);
        await other.waitForFunction(() => window.harnessReady === true);
        const got = await int8Runs(other);
        assert(got.wasmUrl.endsWith('/pkg/georange_wasm_bg.wasm'), `module ${got.wasmUrl}`);
        checkInt8Runs(got);
      } finally {
        await other.close();
      }
    });
    await test("probes in the browser's WebAssembly give scikit-learn's numbers (tests/fixtures/probe: ridge ≤ 1e-5, logistic ≤ 1e-3, k-NN exactly)", async () => {
      const got = await page.evaluate(async () => {
        // The package's module, initialised as a model load does it.
        (await GeoRange.load({ encoder: '/out/browser-tests/l40/encoder.safetensors', device: 'cpu', cache: false })).dispose();
        const { WasmProbe } = await import('/pkg/georange_wasm.js');
        const golden = await (await fetch('/tests/fixtures/probe/golden.json')).json();
        const npy = async (url) => {
          const b = await (await fetch(url)).arrayBuffer();
          const header = new DataView(b).getUint16(8, true);
          return new Float32Array(b.slice(10 + header));
        };
        const [x, xt] = [await npy('/tests/fixtures/probe/x.npy'), await npy('/tests/fixtures/probe/x_test.npy')];
        const fit = (classes, values, kind, method, c) => WasmProbe.fit(x, 40, classes, values, kind, method, c, 1, 5, true, 'test', 'range+', 0.5);
        const ridge = fit(null, Float64Array.from(golden.value), 'regress', null, 1).predict(xt).values;
        const logistic3 = fit(golden.three, null, 'classify', null, 1).predict(xt).probabilities;
        const logistic2 = fit(golden.two.map(String), null, 'classify', null, 0.5).predict(xt).probabilities;
        const knn = fit(golden.three, null, 'classify', 'knn', 1).predict(xt).probabilities;
        return { golden, ridge: Array.from(ridge), logistic3: Array.from(logistic3), logistic2: Array.from(logistic2), knn: Array.from(knn) };
      });
      const { golden } = got;
      const flat = (rows) => rows.flat();
      const want = golden.ridge.predict;
      const rel = Math.sqrt(got.ridge.reduce((s, v, i) => s + (v - want[i]) ** 2, 0) / want.reduce((s, v) => s + v * v, 0));
      assert(rel <= 1e-5, `ridge: relative error ${rel}`);
      for (const [name, limit] of [['logistic3', 1e-3], ['logistic2', 1e-3], ['knn', 1e-9]]) {
        const w = flat((golden[name] ?? golden.knn).proba);
        const worst = got[name].reduce((m, v, i) => Math.max(m, Math.abs(v - w[i])), 0);
        assert(got[name].length === w.length && worst <= limit, `${name}: worst difference ${worst}`);
      }
    });
    await test('CPU workers share the bank and compute what one thread does (f32, int8, cut-off, explain)', async () => {
      const int8 = { encoder: '/out/browser-tests/l40_int8/encoder.safetensors', bank: '/out/browser-tests/l40_int8/bank.safetensors' };
      const got = await page.evaluate(async ({ files, int8, points }) => {
        const run = async (source, workers, opts, cases, batchSize) => {
          const m = await GeoRange.load({ ...source, device: 'cpu', cache: false, workers, ...opts });
          const out = [];
          for (const c of cases) out.push(Array.from(await m.embed(Float64Array.from(points), { ...c, batchSize })));
          // The encoder alone on the points three times over (270 points, two slices of at least 128).
          const thrice = Float64Array.from([...points, ...points, ...points]);
          out.push(Array.from(await m.embed(thrice, { variant: 'encoder', batchSize: 512 })));
          const explained = await m.explain(points[0], points[1], { variant: 'range+', beta: 0.3, k: 6 });
          const result = { workers: m.workers, note: m.note, out, explained };
          m.dispose();
          return result;
        };
        return {
          f32: await run(files, 3, {}, [{ variant: 'range+', beta: 0.5 }]),
          int8: await run(int8, 2, {}, [{ variant: 'range' }, { variant: 'range+', beta: 0.5 }], 7),
          cut: await run(files, 4, { geoCutoffDeg: 30 }, [{ variant: 'range+', beta: 0.2 }]),
          one: await run(files, 1, {}, []),
          auto: await run(files, 'auto', {}, []),
        };
      }, { files, int8, points });
      assert(got.f32.workers === 3 && got.int8.workers === 2 && got.cut.workers === 4, `workers ${got.f32.workers} ${got.int8.workers} ${got.cut.workers}`);
      // 'auto' keeps a small bank (the fixture's, under 16 MiB) on the calling thread.
      assert(got.one.workers === 1 && got.auto.workers === 1, `workers: 1 → ${got.one.workers}, auto → ${got.auto.workers}`);
      const check = (out, file, what) => {
        const native = readNpy(`${work}/${file}`);
        compareRows(out, native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `${what}, row ${i}: relative error ${rel}`));
      };
      check(got.f32.out[0], 'native_b05.npy', 'f32 bank, 3 workers');
      // The encoder alone, split over the workers (two slices of 135 points): what one thread computes.
      const encoded = got.one.out.at(-1);
      compareRows(got.f32.out.at(-1), encoded, encoded.length / (1.5 * points.length),
        (i, cos, rel) => assert(rel <= 1e-6, `encoder on workers, row ${i}: relative error ${rel}`));
      check(got.int8.out[0], 'native_int8_range.npy', 'int8 RANGE, 2 workers');
      check(got.int8.out[1], 'native_int8_b05.npy', 'int8 RANGE+, 2 workers');
      check(got.cut.out[0], 'native_b02_cut30.npy', '30° cut-off, 4 workers');
      // Explanations: the same rows with the same weights as one thread.
      for (const r of [got.f32, got.cut]) {
        assert(r.explained.length === 6, `explained ${r.explained.length}`);
        r.explained.forEach((e, i) => {
          const w = got.one.explained[i];
          assert(e.index === w.index && Math.abs(e.weight - w.weight) <= 1e-6 * w.weight + 1e-9, `row ${i}: ${JSON.stringify(e)} vs ${JSON.stringify(w)}`);
        });
      }
    });
    await test('CPU workers: dispose() rejects a running embed; bad rows, a bad bank and a bad count reject clearly; no Worker falls back to one thread', async () => {
      const r = await page.evaluate(async ({ files, points }) => {
        const m = await GeoRange.load({ ...files, device: 'cpu', cache: false, workers: 2 });
        const bad = Float64Array.from(points);
        bad[2 * 40 + 1] = 95;
        const badRow = await m.embed(bad, { batchSize: 64 }).then(() => 'resolved', (e) => ({ code: e.code, row: e.row, message: e.message }));
        // The encoder alone goes in slices over the workers (rows 0–134 and 135–269 of 270
        // here): a bad row in the second slice is named as in the whole batch, and of two, the first.
        const badLate = Float64Array.from([...points, ...points, ...points]);
        badLate[2 * 200 + 1] = 95;
        const badEncoder = await m.embed(badLate, { variant: 'encoder', batchSize: 512 }).then(() => 'resolved', (e) => ({ code: e.code, row: e.row, message: e.message }));
        badLate[2 * 40 + 1] = -95;
        const badEncoderTwo = await m.embed(badLate, { variant: 'encoder', batchSize: 512 }).then(() => 'resolved', (e) => ({ code: e.code, row: e.row, message: e.message }));
        const running = m.embed(Float64Array.from([...points, ...points, ...points]), { batchSize: 16 });
        m.dispose();
        const disposed = await running.then(() => 'resolved', (e) => e.code);
        const badBank = await GeoRange.load({ encoder: files.encoder, bank: '/out/browser-tests/truncated.safetensors', device: 'cpu', cache: false, workers: 2 })
          .then(() => 'loaded', (e) => ({ code: e.code, row: e.row, message: e.message }));
        const badCount = await GeoRange.load({ ...files, device: 'cpu', cache: false, workers: 0 }).then(() => 'loaded', (e) => e.code);
        const RealWorker = self.Worker;
        self.Worker = function () { throw new Error('blocked by this test'); };
        try {
          const m1 = await GeoRange.load({ ...files, device: 'cpu', cache: false, workers: 2 });
          const out = Array.from(await m1.embed(Float64Array.from(points), { variant: 'range+', beta: 0.5 }));
          return { badRow, badEncoder, badEncoderTwo, disposed, badBank, badCount, fallback: { workers: m1.workers, note: m1.note, out } };
        } finally {
          self.Worker = RealWorker;
        }
      }, { files, points });
      const at = (e, row) => e.code === 'bad_coordinate' && e.row === row && e.message.startsWith(`row ${row}:`);
      assert(at(r.badRow, 40), `bad row: ${JSON.stringify(r.badRow)}`);
      assert(at(r.badEncoder, 200), `bad row, encoder: ${JSON.stringify(r.badEncoder)}`);
      assert(at(r.badEncoderTwo, 40), `two bad rows, encoder: ${JSON.stringify(r.badEncoderTwo)}`);
      assert(r.disposed === 'disposed', `dispose: ${r.disposed}`);
      assert(r.badBank.code === 'bad_file' && !r.badBank.message.includes('\n'), `bad bank: ${JSON.stringify(r.badBank)}`);
      assert(r.badCount === 'invalid_argument', `bad count: ${r.badCount}`);
      assert(r.fallback.workers === 1 && /blocked by this test/.test(r.fallback.note), `fallback: ${r.fallback.workers} ${r.fallback.note}`);
      const native = readNpy(`${work}/native_b05.npy`);
      compareRows(r.fallback.out, native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `fallback row ${i}: relative error ${rel}`));
    });
    await test('approximate RANGE+ (geoCutoffDeg) on the CPU matches the native CLI; a bad cut-off rejects', async () => {
      const r = await embedIn(page, { device: 'cpu', geoCutoffDeg: 30, cases: [{ variant: 'range+', beta: 0.2 }] });
      const native = readNpy(`${work}/native_b02_cut30.npy`);
      compareRows(r.out[0], native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `row ${i}: relative error ${rel}`));
      const msg = await page.evaluate((files) => GeoRange.load({ ...files, device: 'cpu', cache: false, geoCutoffDeg: -5 })
        .then(() => 'loaded', (e) => e.code), files);
      assert(msg === 'invalid_argument', msg);
    });
    await test('every malformed encoder and bank file of tests/hostile rejects clearly', async () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(root, 'tests/hostile/manifest.json'), 'utf8'));
      const seedEncoder = { bank: '/fuzz/seeds/encoder_file/satclip_f32.safetensors', 'pair-geoclip': '/fuzz/seeds/encoder_file/geoclip_int8.safetensors' };
      const cases = manifest.filter((c) => ['encoder', 'bank', 'pair-geoclip'].includes(c.kind)).map((c) => ({
        ...c,
        encoder: c.kind === 'encoder' ? `/tests/hostile/${c.file}` : seedEncoder[c.kind],
        bank: c.kind === 'encoder' ? undefined : `/tests/hostile/${c.file}`,
      }));
      assert(cases.length >= 30, `only ${cases.length} files`);
      const got = await page.evaluate(async (cases) => {
        const out = [];
        for (const c of cases) {
          const t0 = performance.now();
          const msg = await GeoRange.load({ encoder: c.encoder, bank: c.bank, device: 'cpu', cache: false })
            .then(() => null, (e) => (e instanceof Error ? e : new Error(`not an Error: ${e}`)));
          out.push({ file: c.file, message: c.message, msg: msg?.message ?? null, code: msg?.code, ms: performance.now() - t0 });
        }
        return out;
      }, cases);
      // Each is refused with a file's code, in one line that says what the manifest says.
      const bad = got.filter((g) => g.msg === null || !['bad_file', 'pair_mismatch'].includes(g.code) || g.msg.includes('\n') || !g.msg.toLowerCase().includes(g.message.toLowerCase()) || g.ms > 10000);
      assert(!bad.length, `${bad.length} of ${got.length}:\n${bad.map((g) => `${g.file}: [${g.code}] ${g.msg} (${g.ms.toFixed(0)} ms)`).join('\n')}`);
    });
    await test('a browser without WebAssembly SIMD: load rejects saying so', async () => {
      const other = await page.context().browser().newPage();
      try {
        // Such a browser fails to validate any SIMD module, the package's probe among them.
        await other.addInitScript(() => {
          const validate = WebAssembly.validate;
          WebAssembly.validate = (bytes) => (bytes.byteLength < 64 ? false : validate(bytes));
        });
        await other.goto(`${server.url}/tests/browser/harness.html`);
        await other.waitForFunction(() => window.harnessReady === true);
        const code = await other.evaluate((files) => GeoRange.load({ ...files, device: 'cpu', cache: false })
          .then(() => 'loaded', (e) => e.code), files);
        assert(code === 'unavailable', code);
      } finally {
        await other.close();
      }
    });
    await test('wasmUrl: a module elsewhere, served without the wasm MIME type, runs on one thread and on workers; a missing one rejects naming it, and a retry works', async () => {
      const other = await page.context().browser().newPage();
      try {
        const wasm = fs.readFileSync(path.join(root, 'pkg/georange_wasm_bg.wasm'));
        await other.route('**/elsewhere/module.bin', (route) => route.fulfill({ body: wasm, contentType: 'application/octet-stream' }));
        await other.goto(`${server.url}/tests/browser/harness.html`);
        await other.waitForFunction(() => window.harnessReady === true);
        const got = await other.evaluate(async ({ files, points }) => {
          const missing = await GeoRange.load({ ...files, device: 'cpu', cache: false, wasmUrl: '/elsewhere/none.wasm' })
            .then(() => 'loaded', (e) => ({ code: e.code, message: e.message }));
          const out = [];
          for (const workers of [1, 2]) {
            const m = await GeoRange.load({ ...files, device: 'cpu', cache: false, wasmUrl: '/elsewhere/module.bin', workers });
            out.push({ workers: m.workers, emb: Array.from(await m.embed(Float64Array.from(points), { variant: 'range+', beta: 0.5 })) });
            m.dispose();
          }
          return { missing, out };
        }, { files, points });
        assert(got.missing.code === 'network' && got.missing.message.includes('none.wasm'), JSON.stringify(got.missing));
        assert(got.out[0].workers === 1 && got.out[1].workers === 2, `workers ${got.out.map((o) => o.workers)}`);
        const native = readNpy(`${work}/native_b05.npy`);
        for (const o of got.out) {
          compareRows(o.emb, native.data, native.shape[1], (i, cos, rel) => assert(rel <= 1e-5, `${o.workers} worker(s), row ${i}: relative error ${rel}`));
        }
      } finally {
        await other.close();
      }
    });
    await test('device webgpu without an adapter rejects clearly', async () => {
      const code = await page.evaluate(async (files) => GeoRange.load({ ...files, device: 'webgpu', cache: false }).then(() => 'resolved', (e) => e.code), files);
      assert(code === 'unavailable', code);
    });
  });
} finally {
  await server.close();
}
console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
