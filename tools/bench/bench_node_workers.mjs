// The npm package in Node.js: CPU worker threads against one thread, on the demo's Blue
// Marble bank (GeoCLIP, 50,000 int8 rows, 38 MB), RANGE+ β = 0.5. Prints a Markdown table of
// warm milliseconds per call (median of `reps`) at batches of 1, 16 and 1,000 points.
//
//   node tools/bench/bench_node_workers.mjs [workers=2]      (after ./build.sh)
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const models = path.join(root, 'www/models/geoclip');
const files = { encoder: `${models}/encoder.safetensors`, bank: `${models}/bluemarble-bank.safetensors` };
const workers = Number(process.argv[2] ?? 2);

function points(n, seed) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? rand() * 160 - 80 : rand() * 360 - 180));
}

async function time(model, batch) {
  const reps = batch >= 1000 ? 5 : 40;
  const times = [];
  await model.embed(points(batch, 7), { variant: 'range+', beta: 0.5 }); // warm
  for (let r = 0; r < reps; r++) {
    const p = points(batch, r + 11);
    const t = performance.now();
    await model.embed(p, { variant: 'range+', beta: 0.5 });
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}

console.log(`node ${process.version}, ${os.availableParallelism()} cores, ${os.cpus()[0]?.model}`);
console.log(`| batch | one thread (ms) | ${workers} worker threads (ms) | speed-up |`);
console.log('|---|---|---|---|');
const one = await GeoRange.load({ ...files, workers: 1 });
const many = await GeoRange.load({ ...files, workers });
for (const batch of [1, 16, 1000]) {
  const a = await time(one, batch);
  const b = await time(many, batch);
  console.log(`| ${batch} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}× |`);
}
one.dispose();
many.dispose();
