// The npm package in long use, in headless Chromium (issue 31): load → embed → dispose cycles
// on the CPU (one thread, and two workers) and on WebGPU (SwiftShader), and thousands of embed
// calls on one model (batch sizes 1–300, RANGE, RANGE+, explain) on each. Measures:
//  - the WebAssembly heaps (`model.memoryUse()`: the page's module and each worker's; a heap
//    never shrinks, so a leak shows as growth),
//  - the workers alive (Worker and terminate counted by an init script),
//  - the WebGPU buffers alive (createBuffer and destroy counted by an init script).
// Bounds: after the warm-up (the first tenth of the cycles, at least 5), the page's heap grows
// by at most 1 MiB (one fixture bank is 2.6 MB: one leaked per cycle would be hundreds), no
// worker outlives its model, the live GPU buffers do not grow, and the last results equal the
// first bit for bit.
//
//   node tests/browser/soak.mjs            short form (./test.sh): 30 cycles, 600 calls (100 on WebGPU)
//   SOAK=long node tests/browser/soak.mjs  the form: 200 cycles, 10,000 calls
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tools/dev/serve.mjs';
import { assert, launch, results, test } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/soak');
const cli = path.join(root, 'target/release/georange');
const long = process.env.SOAK === 'long';
const CYCLES = long ? 200 : 30;
const CALLS = long ? 10_000 : 600;
// SwiftShader runs a batch of 300 in about a second: on WebGPU the short form makes fewer
// calls, and the batches go up to 64 points.
const GPU_CALLS = long ? 10_000 : 100;
const MIB = 1 << 20;

fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`, '--out', `${work}/l40`], { stdio: 'ignore' });
const files = { encoder: '/out/soak/l40/encoder.safetensors', bank: '/out/soak/l40/bank.safetensors' };
const server = await serve(root);
const report = [];

/** Counts live Workers and WebGPU buffers in the page (before any of its scripts runs). */
function countLive() {
  const live = (self.georangeLive = { workers: 0, buffers: 0, bufferBytes: 0 });
  const NativeWorker = self.Worker;
  self.Worker = class extends NativeWorker {
    constructor(...args) { super(...args); live.workers++; this._live = true; }
    terminate() { if (this._live) { this._live = false; live.workers--; } return super.terminate(); }
  };
  if (!self.GPUDevice) return;
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    const buffer = create.call(this, descriptor);
    live.buffers++;
    live.bufferBytes += descriptor.size;
    const destroy = buffer.destroy;
    let destroyed = false;
    buffer.destroy = function () {
      if (!destroyed) { destroyed = true; live.buffers--; live.bufferBytes -= descriptor.size; }
      return destroy.call(this);
    };
    return buffer;
  };
}

async function openPage(browser) {
  const page = await browser.newPage();
  const uncaught = [];
  page.on('pageerror', (e) => uncaught.push(e.message));
  await page.addInitScript(countLive);
  await page.goto(`${server.url}/tests/browser/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return { page, uncaught };
}

/** `cycles` × (load with `options` → embed a batch → measure → dispose), in the page. */
const cycles = (page, options, cycles) => page.evaluate(async ({ files, options, cycles }) => {
  const p = new Float64Array([0, 0, -90.19, 38.63, 85.32, 27.72, 179.9, -60, 10, 89.9]);
  const out = [];
  for (let i = 0; i < cycles; i++) {
    const m = await GeoRange.load({ ...files, cache: false, ...options });
    const rows = await m.embed(p, { variant: 'range+', beta: 0.5 });
    const mem = await m.memoryUse();
    m.dispose();
    await new Promise((r) => setTimeout(r, 0)); // let the workers' terminate land
    out.push({ heap: mem.heapBytes, workerHeaps: mem.workerHeapBytes, backend: m.backend, workers: self.georangeLive.workers,
      buffers: self.georangeLive.buffers, first: i === 0 ? Array.from(rows) : null, last: i === cycles - 1 ? Array.from(rows) : null });
  }
  return out;
}, { files, options, cycles });

/** `calls` calls on one model loaded with `options`: batches of `sizes` points in turn, RANGE
 * and RANGE+, and every fifth an explain; the first 20 calls are made again at the end. */
const manyCalls = (page, options, calls, sizes) => page.evaluate(async ({ files, calls, options, sizes }) => {
  const m = await GeoRange.load({ ...files, cache: false, ...options });
  const batch = (n, seed) => Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? ((seed * 31 + i * 7) % 170) - 85 : ((seed * 17 + i * 13) % 360) - 180));
  const call = (i) => (i % 5 === 4
    ? m.explain(10 + (i % 7), 45, { variant: 'range+', k: 5 }).then((rows) => rows.map((c) => [c.index, c.weight]).flat())
    : m.embed(batch(sizes[i % 4], i % 4), { variant: i % 2 ? 'range' : 'range+', beta: 0.5 }));
  const first = [];
  for (let i = 0; i < 20; i++) first.push(Array.from(await call(i)));
  const warm = await m.memoryUse();
  const warmBuffers = self.georangeLive.buffers;
  for (let i = 20; i < calls - 20; i++) await call(i);
  const last = [];
  for (let i = 0; i < 20; i++) last.push(Array.from(await call(i)));
  const end = await m.memoryUse();
  const endBuffers = self.georangeLive.buffers;
  const backend = m.backend;
  m.dispose();
  return { warm, end, warmBuffers, endBuffers, backend, same: JSON.stringify(first) === JSON.stringify(last) };
}, { files, calls, options, sizes });

/** Checks a run of cycles against the bounds, and records its figures. */
function checkCycles(name, runs) {
  const warm = Math.max(5, Math.floor(runs.length / 10)) - 1;
  const heapGrowth = runs.at(-1).heap - runs[warm].heap;
  const workerHeaps = runs.flatMap((r) => r.workerHeaps);
  report.push(`${name}: ${runs.length} cycles; page heap ${(runs[0].heap / MIB).toFixed(1)} MiB after the first, `
    + `${(runs[warm].heap / MIB).toFixed(1)} after ${warm + 1}, ${(runs.at(-1).heap / MIB).toFixed(1)} after the last`
    + (workerHeaps.length ? `; worker heaps ${(Math.min(...workerHeaps) / MIB).toFixed(1)}–${(Math.max(...workerHeaps) / MIB).toFixed(1)} MiB` : '')
    + `; live buffers after dispose ${runs[warm].buffers} → ${runs.at(-1).buffers}`);
  assert(heapGrowth <= MIB, `${name}: the page's heap grew ${(heapGrowth / MIB).toFixed(2)} MiB after the warm-up`);
  assert(runs.every((r) => r.workers === 0), `${name}: workers alive after dispose: ${runs.map((r) => r.workers)}`);
  if (workerHeaps.length) assert(Math.max(...workerHeaps) - Math.min(...workerHeaps) <= MIB, `${name}: worker heaps vary: ${workerHeaps}`);
  assert(runs.at(-1).buffers <= runs[warm].buffers, `${name}: live GPU buffers grew ${runs[warm].buffers} → ${runs.at(-1).buffers}`);
  assert(JSON.stringify(runs[0].first) === JSON.stringify(runs.at(-1).last), `${name}: the last results differ from the first`);
}

try {
  for (const [name, webgpu, options] of [
    ['CPU, one thread', false, { device: 'cpu', workers: 1 }],
    ['CPU, two workers', false, { device: 'cpu', workers: 2 }],
    ['WebGPU (SwiftShader)', true, { device: 'webgpu' }],
  ]) {
    await test(`${name}: ${CYCLES} load → embed → dispose cycles leave the heaps, workers and GPU buffers where they were`, async () => {
      const browser = await launch(webgpu);
      try {
        const { page, uncaught } = await openPage(browser);
        const runs = await cycles(page, options, CYCLES);
        assert(runs.every((r) => r.backend === (webgpu ? 'webgpu' : 'cpu')), `backend ${runs[0].backend}`);
        checkCycles(name, runs);
        assert(uncaught.length === 0, uncaught.join('; '));
      } finally {
        await browser.close();
      }
    });
  }

  for (const [name, webgpu, configs, calls, sizes] of [
    ['one thread and two workers', false, [{ device: 'cpu', workers: 1 }, { device: 'cpu', workers: 2 }], CALLS, [1, 7, 64, 300]],
    ['WebGPU (SwiftShader)', true, [{ device: 'webgpu' }], GPU_CALLS, [1, 7, 16, 64]],
  ]) {
    await test(`${calls} embed calls on one model (batches of ${sizes.join(', ')}; RANGE, RANGE+, explain), ${name}: the heaps and GPU buffers stop growing and the last results equal the first`, async () => {
      const browser = await launch(webgpu);
      try {
        const { page, uncaught } = await openPage(browser);
        for (const options of configs) {
          const r = await manyCalls(page, options, calls, sizes);
          const label = options.device === 'webgpu' ? 'WebGPU' : options.workers === 1 ? 'one thread' : 'two workers';
          report.push(`${calls} calls, ${label}: page heap ${(r.warm.heapBytes / MIB).toFixed(1)} → ${(r.end.heapBytes / MIB).toFixed(1)} MiB`
            + (r.end.workerHeapBytes.length ? `, worker heaps ${r.warm.workerHeapBytes.map((b) => (b / MIB).toFixed(1))} → ${r.end.workerHeapBytes.map((b) => (b / MIB).toFixed(1))} MiB` : '')
            + (webgpu ? `, live GPU buffers ${r.warmBuffers} → ${r.endBuffers}` : ''));
          assert(r.backend === options.device, `${label}: backend ${r.backend}`);
          assert(r.same, `${label}: the last results differ from the first`);
          assert(r.end.heapBytes - r.warm.heapBytes <= MIB, `${label}: the heap grew ${r.end.heapBytes - r.warm.heapBytes} bytes`);
          r.end.workerHeapBytes.forEach((b, i) => assert(b - r.warm.workerHeapBytes[i] <= MIB, `worker ${i}'s heap grew ${b - r.warm.workerHeapBytes[i]} bytes`));
          assert(r.endBuffers <= r.warmBuffers, `${label}: live GPU buffers grew ${r.warmBuffers} → ${r.endBuffers}`);
        }
        assert(uncaught.length === 0, uncaught.join('; '));
      } finally {
        await browser.close();
      }
    });
  }
} finally {
  await server.close();
}
for (const line of report) console.log(`  ${line}`);
console.log(`soak (${long ? 'long' : 'short'}): ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
