// `GeoRange.embed(…, { compute: 'int8' })` in the npm package (issue 42): on the demo's Blue
// Marble bank (GeoCLIP, 50,000 int8 rows) over two worker threads and on one thread, the same
// numbers as the native CLI's `--compute int8` (≤ 1e-5 per row: every build computes the same
// integer sums), and within the target of the exact arithmetic for every point of a global
// grid and the held-out queries (cosine ≥ 0.9999, relative error ≤ 1e-3 of the high part).
// An unknown `compute` is refused. Needs build.sh's pkg/ and www/models/geoclip/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../browser/npy.mjs';
import { worstCosine, worstRelative } from './rows.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, 'out/node-tests');
const models = path.join(root, 'www/models/geoclip');
const encoder = `${models}/encoder.safetensors`;
const bank = `${models}/bluemarble-bank.safetensors`;
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));

// The held-out queries and a global grid every 15° (poles and antimeridian included).
const rows = fs.readFileSync(path.join(root, 'tests/fixtures/queries.csv'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map(([, lat, lon]) => [Number(lon), Number(lat)]);
for (let lat = -90; lat <= 90; lat += 15) for (let lon = -180; lon <= 180; lon += 15) rows.push([lon, lat]);
const points = Float64Array.from(rows.flat());
fs.mkdirSync(work, { recursive: true });
const csv = path.join(work, 'int8_points.csv');
fs.writeFileSync(csv, 'lon,lat\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
execFileSync(path.join(root, 'target/release/georange'), ['embed', '--encoder', encoder, '--bank', bank,
  '--model', 'range+', '--beta', '0.5', '--compute', 'int8', '--input', csv, '--output', `${work}/native_int8.npy`], { stdio: 'ignore' });
const native = readNpy(`${work}/native_int8.npy`);

/** The high-resolution parts of `out`'s rows, one after another. */
function high(out, dim, highDim) {
  const n = out.length / dim;
  const h = new Float32Array(n * highDim);
  for (let i = 0; i < n; i++) h.set(out.subarray(i * dim, i * dim + highDim), i * highDim);
  return h;
}

test("compute: 'int8' computes the native CLI's numbers, within the target of 'exact'", async () => {
  for (const workers of [2, 1]) {
    const model = await GeoRange.load({ encoder, bank, workers });
    const [dim, highDim] = [model.dimOf('range+'), native.shape[1] - model.dimOf('encoder')];
    const int8 = await model.embed(points, { variant: 'range+', beta: 0.5, compute: 'int8', batchSize: 256 });
    assert.ok(worstRelative(int8, native.data, dim) <= 1e-5, `${workers} workers: not the CLI's int8 numbers`);
    const exact = await model.embed(points, { variant: 'range+', beta: 0.5, batchSize: 256 });
    const [hi, he] = [high(int8, dim, highDim), high(exact, dim, highDim)];
    const [cos, rel] = [worstCosine(hi, he, highDim), worstRelative(hi, he, highDim)];
    assert.ok(cos >= 0.9999 && rel <= 1e-3, `${workers} workers: cosine ${cos}, relative error ${rel}`);
    assert.ok(rel > 0, 'the int8 arithmetic was not used');
    const bad = await model.embed([0, 0], { compute: 'int4' }).catch((e) => e);
    assert.equal(bad.code, 'invalid_argument');
    model.dispose();
  }
});
