// Times the first calls of a model loaded on one thread of the wasm module outside a browser
// (Node runs the same V8 as Chromium): a page's first click against its later ones. V8
// compiles a function on its first use and optimises it once it has run a while; a call keeps
// the code it started with.
//
//   node tools/bench/first_call.mjs [BANK] [PKG]   (after ./build.sh; defaults: the 100k-row bench
//   bank of tools/bench/bench_browser.mjs and pkg/; MODEL=range|range+|encoder, BATCH=points per
//   call, CALLS=how many; β = 0.5 for range+; ENCODER=the bank's encoder file, default the
//   bundled synthetic SatCLIP of the bench banks)
//
// Prints each call's milliseconds. Run it several times, alternating the builds compared.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bankPath = 'out/bench/bank_100000.safetensors', pkg = 'pkg'] = process.argv.slice(2);
const { MODEL: model = 'range', BATCH: batch = '1', CALLS: calls = '6' } = process.env;
const encoderPath = process.env.ENCODER ?? 'www/models/fixture/encoder.safetensors';
const glue = await import(pathToFileURL(path.resolve(pkg, 'georange_wasm.js')));
await glue.default({ module_or_path: fs.readFileSync(path.join(pkg, 'georange_wasm_bg.wasm')) });
const encoder = new Uint8Array(fs.readFileSync(encoderPath));
const m = await glue.WasmModel.load(encoder, new Uint8Array(fs.readFileSync(bankPath)), 'cpu');
const ms = [];
for (let call = 0; call < +calls; call++) {
  const lonlat = [];
  for (let k = 0; k < +batch; k++) lonlat.push(10 + call * 0.37 + k, 20 - call * 0.21);
  const t = performance.now();
  await m.embedBatch(lonlat, model, 0.5);
  ms.push((performance.now() - t).toFixed(1));
}
console.log(`${model}, ${batch} point(s) per call, ms per call: ${ms.join(' ')}`);
m.free();
