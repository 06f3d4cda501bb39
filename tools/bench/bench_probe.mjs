// How long a probe takes to fit in WebAssembly (one thread, Node.js): 1,000 labelled places
// on the demo's GeoCLIP model and Blue Marble bank (RANGE+ β = 0.5: 788-d rows), issue 43's
// targets: ridge ≤ 50 ms, logistic regression ≤ 500 ms, 5-fold spatial CV ≤ 3 s. Prints the
// Markdown rows of BENCHMARKS.md's "Probes". Needs ./build.sh first (pkg/, www/models/).
//
//   node tools/bench/bench_probe.mjs [--points 1000] [--repeat 5]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1] : fallback);
};
const [n, repeat] = [arg('points', 1000), arg('repeat', 5)];
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
// The core's fit itself, on embeddings made once (the module GeoRange initialised).
const { WasmProbe } = await import(pathToFileURL(path.join(root, 'pkg/georange_wasm.js')));
const model = await GeoRange.load({ encoder: `${root}/www/models/geoclip/encoder.safetensors`, bank: `${root}/www/models/geoclip/bluemarble-bank.safetensors`, workers: 1 });
const points = new Float64Array(2 * n);
for (let i = 0; i < n; i++) {
  points[2 * i + 1] = (Math.asin(1 - (2 * (i + 0.5)) / n) * 180) / Math.PI;
  points[2 * i] = ((((i * 137.50776405) % 360) + 540) % 360) - 180;
}
const lat = (i) => points[2 * i + 1];
const classes = Array.from({ length: n }, (_, i) => (lat(i) > 30 ? 'north' : lat(i) < -30 ? 'south' : 'middle'));
const values = Array.from({ length: n }, (_, i) => Math.cos((lat(i) * Math.PI) / 180));
const t0 = performance.now();
const embeddings = await model.embed(points, { variant: 'range+', beta: 0.5 });
const embedMs = performance.now() - t0;
const dim = embeddings.length / n;

/** The median of `repeat` timings of `f` (ms). */
async function median(f) {
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
const rows = [];
for (const [what, options, target] of [
  ['ridge', { labels: values, kind: 'regress' }, 50],
  ['logistic regression, 3 classes', { labels: classes }, 500],
  ['k-NN (k = 5)', { labels: classes, method: 'knn' }, null],
]) {
  const [c, v] = options.kind === 'regress' ? [null, Float64Array.from(values)] : [classes, null];
  const kind = options.kind ?? 'classify';
  const fit = await median(() => WasmProbe.fit(embeddings, dim, c, v, kind, options.method ?? null, 1, 1, 5, true, model._identity(), 'range+', 0.5).free());
  const probe = await model.fitProbe({ points, ...options });
  const cv = await median(() => probe.crossValidate({ blockDegrees: 10, folds: 5 }));
  rows.push(`| ${what} | ${fit.toFixed(0)} ms${target ? ` (≤ ${target})` : ''} | ${cv.toFixed(0)} ms (≤ 3,000) |`);
}
console.log(`${n} points, ${dim}-d rows; embedding them first: ${embedMs.toFixed(0)} ms`);
console.log('| probe | fit (embedding excluded) | 5-fold spatial CV |');
console.log('|---|---|---|');
rows.forEach((r) => console.log(r));
model.dispose();
