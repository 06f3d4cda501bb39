// Times the steps of loading a bank into the wasm module outside a browser (Node runs the same
// V8 as Chromium): WasmModel.load of the whole bank on the CPU, the WebAssembly heap after it,
// shardBank into 2 shards (what the CPU workers' slicer does) and loading one of them.
//
//   node tools/bench/wasm_load_steps.mjs [BANK] [PKG]   (after ./build.sh; defaults: the 100k-row
//   bench bank of tools/bench/bench_browser.mjs and pkg/)
//
// Two repetitions: the first runs partly in V8's baseline code, the second warm.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bankPath = 'out/bench/bank_100000.safetensors', pkg = 'pkg'] = process.argv.slice(2);
const glue = await import(pathToFileURL(path.resolve(pkg, 'georange_wasm.js')));
const wasm = await glue.default({ module_or_path: fs.readFileSync(path.join(pkg, 'georange_wasm_bg.wasm')) });
const encoder = new Uint8Array(fs.readFileSync('www/models/fixture/encoder.safetensors'));
const bank = new Uint8Array(fs.readFileSync(bankPath));
const time = (what, f) => {
  const t = performance.now();
  const r = f();
  return Promise.resolve(r).then((v) => { console.log(`${what}: ${(performance.now() - t).toFixed(0)} ms`); return v; });
};
const { shardFile } = await import(pathToFileURL(path.resolve(pkg, 'shards.js')));
for (let rep = 1; rep <= 2; rep++) {
  console.log(`-- repetition ${rep}`);
  (await time('WasmModel.load (whole bank)', () => glue.WasmModel.load(encoder, bank, 'cpu'))).free();
  console.log(`heap: ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`);
  const files = await time('shardBank(bank, 2), shards assembled', () => Array.from(glue.shardBank(bank, 2), (cut) => shardFile(cut, bank)));
  (await time('WasmModel.loadShard (one half)', () => glue.WasmModel.loadShard(encoder, files[0]))).free();
}
