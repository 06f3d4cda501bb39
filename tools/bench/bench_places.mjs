// "Places like this" in the npm package's CPU path (WebAssembly, as in a browser; run in
// Node.js): `rankBank` over the demo's Blue Marble bank (GeoCLIP, 50,000 int8 rows, values
// 276-d) on one thread and on worker threads, by values and by keys, for random points.
// Prints a Markdown table of milliseconds per ranking (min / median / max over `points`).
//
//   node tools/bench/bench_places.mjs [points=50] [workers=2]      (after ./build.sh)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const models = path.join(root, 'www/models/geoclip');
const files = { encoder: `${models}/encoder.safetensors`, bank: `${models}/bluemarble-bank.safetensors` };
const count = Number(process.argv[2] ?? 50);
const workers = Number(process.argv[3] ?? 2);

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const spread = (v) => { v.sort((a, b) => a - b); return [v[0], v[v.length >> 1], v[v.length - 1]].map((x) => x.toFixed(2)); };

console.log(`| path | by | min | median | max |\n|---|---|---|---|---|`);
for (const w of [1, workers]) {
  const model = await GeoRange.load({ ...files, workers: w });
  const valueDim = model.dimOf('range') - model.dimOf('encoder');
  const times = { values: [], keys: [] };
  for (let i = 0; i < count; i++) {
    const lon = rand() * 360 - 180;
    const lat = (Math.asin(rand() * 2 - 1) * 180) / Math.PI;
    const v = await model.embed([lon, lat], { variant: 'range+', beta: 0.5 });
    for (const [by, query] of [['values', v.subarray(0, valueDim)], ['keys', v.subarray(valueDim)]]) {
      if (i === 0) await model.rankBank(query, { by, k: 10 }); // warm
      const t = performance.now();
      await model.rankBank(query, { by, k: 10 });
      times[by].push(performance.now() - t);
    }
  }
  for (const by of ['values', 'keys']) console.log(`| WebAssembly, ${w === 1 ? 'one thread' : `${model.workers} worker threads`} | ${by} | ${spread(times[by]).join(' | ')} |`);
  model.dispose();
}
