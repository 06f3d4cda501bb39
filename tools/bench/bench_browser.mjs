// Runs www/bench.html in headless Chromium on WebGPU (whatever adapter the browser finds; on a
// machine without a GPU, SwiftShader on the CPU) and on the CPU fallback (WebAssembly), against
// synthetic banks built here with the CLI, and prints a Markdown table for BENCHMARKS.md.
//
//   node tools/bench/bench_browser.mjs [--rows 10000,100000] [--batches 1,1000] [--devices webgpu,cpu]
//                                [--encoder FILE --bank FILE] [--gpu-attention stream,fused]
//                                [--gpu-precision f32|f16|int8] [--workers 1,2,auto]
//                                [--network-mbps 200] [--wasm baseline,relaxed]
//                                [--models encoder,range,range+]
//
// Needs ./build.sh first (pkg/, www/, target/release/georange). The banks use the bundled
// synthetic SatCLIP encoder (L = 40, 256-d keys) with random 1024-d values, stored int8.
// `--encoder`/`--bank` (paths under the repository) time given files instead, e.g. the demo's
// default: --encoder www/models/geoclip/encoder.safetensors
//          --bank www/models/geoclip/bluemarble-bank.safetensors
// `--gpu-attention` times WebGPU with each of these (GeoRange.load's `gpuAttention`; default
// fused, the package's own default on WebGPU);
// `--gpu-precision` holds the bank so on WebGPU (`gpuPrecision`; default f32);
// `--workers` times the CPU with each of these worker counts (`workers`; default auto);
// `--wasm` times the CPU on each of the package's two modules (default: the one Chromium
// picks, the relaxed-SIMD build);
// `--network-mbps` makes the page's downloads as slow as a network of that many Mbit/s (and
// 20 ms of latency) instead of this machine's loopback, so that "loaded in" counts a
// download as a visitor's first load would (Chromium's network emulation).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../dev/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return (i > 0 ? process.argv[i + 1] : fallback).split(',');
};
const rowsList = arg('rows', '10000,100000').map(Number);
const batches = arg('batches', '1,1000');
const devices = arg('devices', 'webgpu,cpu');
const attentions = arg('gpu-attention', 'fused');
const precision = arg('gpu-precision', 'f32')[0];
const workerCounts = arg('workers', 'auto');
const networkMbps = Number(arg('network-mbps', '0')[0]);
const wasmBuilds = arg('wasm', 'default');
const models = arg('models', 'encoder,range,range+');
const work = path.join(root, 'out/bench');
const encoder = arg('encoder', 'www/models/fixture/encoder.safetensors')[0];
const givenBank = process.argv.includes('--bank') ? arg('bank', '')[0] : null;
// [label, bank file URL or null for a synthetic bank of `rows` rows]
if (process.argv.includes('--encoder') !== Boolean(givenBank)) {
  console.error('bench_browser.mjs: --encoder and --bank go together (the synthetic banks are built for the bundled encoder)');
  process.exit(2);
}
const banks = givenBank ? [[path.basename(givenBank), '/' + givenBank]] : rowsList.map((rows) => [rows, null]);
fs.mkdirSync(work, { recursive: true });

/** A float32 .npy of `rows × cols` values from a fixed-seed generator. */
function writeNpy(file, rows, cols, seed) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  const data = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) % 2147483648; data[i] = s / 1073741824 - 1; }
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

function bank(rows) {
  const out = path.join(work, `bank_${rows}.safetensors`);
  if (fs.existsSync(out)) return out;
  const csv = ['lon,lat'];
  for (let i = 0; i < rows; i++) { // a Fibonacci lattice: even cover of the sphere
    const lat = (Math.asin(1 - (2 * (i + 0.5)) / rows) * 180) / Math.PI;
    const lon = ((((i * 137.50776405) % 360) + 540) % 360) - 180;
    csv.push(`${lon},${lat}`);
  }
  fs.writeFileSync(path.join(work, 'locs.csv'), csv.join('\n') + '\n');
  writeNpy(path.join(work, 'values.npy'), rows, 1024, 12345);
  execFileSync(path.join(root, 'target/release/georange'), ['bank', 'build', '--encoder', path.join(root, encoder),
    '--locations', path.join(work, 'locs.csv'), '--values', path.join(work, 'values.npy'), '--out', out, '--dtype', 'int8'], { stdio: 'inherit' });
  return out;
}

const server = await serve(root);
const lines = [];
try {
  for (const device of devices) {
    const args = ['--no-sandbox', '--disable-gpu-sandbox', '--no-first-run'];
    if (device === 'webgpu') args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
    try {
      // On WebGPU each attention; on the CPU each worker count with each wasm module.
      const variants = device === 'webgpu' ? attentions.map((a) => [a, 'default']) : workerCounts.flatMap((w) => wasmBuilds.map((m) => [w, m]));
      for (const [[rows, given], [variant, wasm]] of banks.flatMap((b) => variants.map((a) => [b, a]))) {
        const attention = device === 'webgpu' ? variant : 'stream';
        const bankFile = given ?? '/' + path.relative(root, bank(rows));
        const page = await browser.newPage();
        if (networkMbps > 0) {
          const cdp = await page.context().newCDPSession(page);
          const bytesPerSecond = (networkMbps * 1e6) / 8;
          await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
        }
        const q = new URLSearchParams({ encoder: '/' + encoder, bank: bankFile, device, batches: batches.join(','), models: models.join(','), auto: '1', gpuAttention: attention, gpuPrecision: precision, workers: device === 'webgpu' ? 'auto' : variant, wasm });
        await page.goto(`${server.url}/www/bench.html?${q}`);
        await page.waitForFunction(() => window.benchDone === true, null, { timeout: 3600_000, polling: 1000 });
        const { results, setup, error } = await page.evaluate(() => ({
          results: window.benchResults, setup: document.getElementById('setup').textContent, error: window.benchError,
        }));
        if (error) throw new Error(`${device}, ${rows} rows: ${error}`);
        console.error(setup);
        for (const r of results) {
          const backend = device === 'webgpu' ? `${r.backend} (${attention})` : `${r.backend} (${r.workers} worker${r.workers > 1 ? 's' : ''}${wasm === 'default' ? '' : `, ${wasm}`})`;
          console.error(`  ${backend} ${rows} ${r.model} batch ${r.batch}: ${r.pointsPerSecond.toFixed(1)} points/s`);
          lines.push(`| ${backend} | ${rows.toLocaleString('en')} | ${r.model} | ${r.batch} | ${r.pointsPerSecond.toFixed(r.batch === 1 ? 1 : 0)} | ${r.ms.toFixed(r.batch === 1 ? 2 : 0)} |`);
        }
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
console.log('| backend | bank rows | model | batch | points/s | ms per call |');
console.log('|---|---|---|---|---|---|');
console.log(lines.join('\n'));
