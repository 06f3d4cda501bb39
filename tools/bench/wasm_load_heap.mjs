// The WebAssembly heap one load leaves behind, and how long that first load takes, in a fresh
// Node process (the same V8 as Chromium). A browser's heap never shrinks, so this is what a
// page or a CPU worker keeps.
//
//   node tools/bench/wasm_load_heap.mjs ENCODER BANK [--shard] [--pkg DIR]   (after ./build.sh)
//
// Without --shard: `WasmModel.load` of the whole bank on the CPU (one thread, `workers: 1`).
// With --shard: what one of two CPU workers does, `WasmModel.loadShard` of the first half, the
// bank being cut by `shardBank` in another process first (as the page's slicer worker does).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pkg = option('--pkg', 'pkg');
const [encoderPath, bankPath] = args.filter((a, i) => !a.startsWith('--') && !['--pkg', '--cut-to'].includes(args[i - 1]));
if (!encoderPath || !bankPath) {
  console.error('usage: node tools/bench/wasm_load_heap.mjs ENCODER BANK [--shard] [--pkg DIR]');
  process.exit(2);
}
const glue = await import(pathToFileURL(path.resolve(pkg, 'georange_wasm.js')));
const wasm = await glue.default({ module_or_path: fs.readFileSync(path.join(pkg, 'georange_wasm_bg.wasm')) });
const bank = new Uint8Array(fs.readFileSync(bankPath));

if (flag('--cut-to')) {
  // The child: cut the bank in two and write the first shard.
  const { shardFile } = await import(pathToFileURL(path.resolve(pkg, 'shards.js')));
  fs.writeFileSync(option('--cut-to'), shardFile(glue.shardBank(bank, 2)[0], bank));
  process.exit(0);
}
const encoder = new Uint8Array(fs.readFileSync(encoderPath));
let load = () => glue.WasmModel.load(encoder, bank, 'cpu');
if (flag('--shard')) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'georange-')), 'shard0');
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), encoderPath, bankPath, '--pkg', pkg, '--cut-to', file]);
  const shard = new Uint8Array(fs.readFileSync(file));
  fs.rmSync(path.dirname(file), { recursive: true });
  load = () => glue.WasmModel.loadShard(encoder, shard);
}
const t = performance.now();
await load();
const ms = performance.now() - t;
console.log(`${flag('--shard') ? 'loadShard (one of two)' : 'load (whole bank)'}: ${ms.toFixed(0)} ms, heap ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`);
