// How long a probe takes to fit in WebAssembly (one thread, Node.js): 1,000 labelled places
// on the demo's GeoCLIP model and Blue Marble bank (RANGE+ β = 0.5: 788-d rows), issue 43's
// targets: ridge ≤ 50 ms, logistic regression ≤ 500 ms, 5-fold spatial CV ≤ 3 s, and a probe
// layer ≤ 5% slower than a PCA one. Prints the Markdown rows of BENCHMARKS.md's "Probes". Needs ./build.sh first (pkg/, www/models/).
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
// 4. What a probe layer adds to a map layer: the same view (a tiled layer, 32 px cells of
// 256 px tiles over 80° × 100°) painted afresh in `mode: 'pca'` and in `mode: 'probe'` (the
// logistic probe), alternately, each a fresh layer (nothing cached); the target: ≤ 5% more.
const layers = await import(pathToFileURL(path.join(root, 'pkg/layers/index.js')));
const classifier = await model.fitProbe({ points, labels: classes, variant: 'range+', beta: 0.5 });
const view = { bounds: [-40, -50, 40, 50], z: 2 };
const paint = async (extra) => {
  const layer = layers.tiledLayer({ geoRange: model, view: () => view, cellSize: 32, variant: 'range+', beta: 0.5, ...extra });
  const t = performance.now();
  const picture = await layer.refresh();
  const ms = performance.now() - t;
  const cells = layer.stats.points;
  layer.remove();
  if (!picture) throw new Error('bench_probe: the layer painted nothing');
  return { ms, cells };
};
const times = { pca: [], probe: [] };
let cells = 0;
for (let r = 0; r < repeat; r++) {
  times.pca.push((await paint({ mode: 'pca' })).ms);
  const p = await paint({ mode: 'probe', probe: classifier });
  times.probe.push(p.ms);
  cells = p.cells;
}
const mid = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
const [pca, probeMs] = [mid(times.pca), mid(times.probe)];

console.log(`${n} points, ${dim}-d rows; embedding them first: ${embedMs.toFixed(0)} ms`);
console.log('| probe | fit (embedding excluded) | 5-fold spatial CV |');
console.log('|---|---|---|');
rows.forEach((r) => console.log(r));
console.log(`\n| a tiled layer's view (${cells} cells, one worker thread) | PCA colours | probe (logistic, 3 classes) | added |`);
console.log('|---|---|---|---|');
console.log(`| fresh, median of ${repeat} | ${pca.toFixed(0)} ms | ${probeMs.toFixed(0)} ms | ${(100 * (probeMs / pca - 1)).toFixed(1)}% (≤ 5%) |`);
model.dispose();
