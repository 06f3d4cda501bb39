// embedFile (issue 44) in Node.js, as a build-time script uses it: a CSV file of places
// (quoted fields, odd column names) streamed to .npy and to CSV, equal to the native CLI's
// embeddings of the same points (≤ 1e-5); a bad row stops the run with its row and code, the
// rows before it written and readable, or is skipped and listed; an abort leaves a readable
// file; a Blob in gives a Blob out. Needs build.sh's pkg/, www/models/ and target/release.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../browser/npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const { embedFile } = await import(pathToFileURL(path.join(root, 'pkg/files.js')));
const { labelsFromGeoJson } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const files = { encoder: `${root}/www/models/fixture/encoder.safetensors`, bank: `${root}/www/models/fixture/bank.safetensors` };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georange-embedfile-'));

/** `n` places as CSV: an id, a quoted name with a comma, then Longitude and LAT. */
function csv(n, bad = new Map()) {
  const rows = ['id,"name, full",Longitude,LAT'];
  const points = [];
  for (let i = 0; i < n; i++) {
    const [lon, lat] = [((i * 137.50776) % 360) - 180, Math.asin(1 - (2 * (i + 0.5)) / n) * 57.29577951308232];
    points.push([lon, lat]);
    rows.push(`${i},"place ${i}, ""quoted""",${bad.get(i) ?? lon},${lat}`);
  }
  return { text: `${rows.join('\r\n')}\r\n`, points };
}

/** The native CLI's embeddings of `points` (RANGE+ β = 0.5). */
function cli(points) {
  const input = path.join(dir, 'cli.csv');
  fs.writeFileSync(input, `lon,lat\n${points.map((p) => p.join(',')).join('\n')}\n`);
  const out = path.join(dir, 'cli.npy');
  execFileSync(path.join(root, 'target/release/georange'), ['embed', '--encoder', files.encoder, '--bank', files.bank, '--model', 'range+', '--beta', '0.5', '--input', input, '--output', out]);
  return readNpy(out);
}

test('a CSV file streams to .npy and to CSV, as the native CLI embeds it', async () => {
  const model = await GeoRange.load(files);
  const { text, points } = csv(2500);
  const input = path.join(dir, 'places.csv');
  fs.writeFileSync(input, text);
  const progress = [];
  const out = path.join(dir, 'places.npy');
  const done = await embedFile(model, input, { output: out, variant: 'range+', beta: 0.5, batchSize: 700, onProgress: (p) => progress.push(p) });
  assert.deepEqual([done.rows, done.skipped.length], [2500, 0]);
  assert.deepEqual(progress.map((p) => p.rows), [700, 1400, 2100, 2500]);
  assert.ok(progress.every((p) => p.pointsPerSecond > 0));
  const got = readNpy(out);
  const want = cli(points);
  assert.deepEqual(got.shape, want.shape);
  const worst = got.data.reduce((m, v, i) => Math.max(m, Math.abs(v - want.data[i])), 0);
  assert.ok(worst <= 1e-5, `largest difference from the CLI ${worst}`);

  const csvOut = path.join(dir, 'places.out.csv');
  await embedFile(model, input, { output: csvOut, format: 'csv', batchSize: 1000 });
  const lines = fs.readFileSync(csvOut, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2501);
  assert.ok(lines[0].startsWith('id,"name, full",Longitude,LAT,emb_0,emb_1'), lines[0].slice(0, 60));
  assert.ok(lines[8].startsWith('7,"place 7, ""quoted""",'), lines[8].slice(0, 40));
  const values = lines[8].split(',').slice(-done.dim).map(Number);
  values.forEach((v, j) => assert.ok(Math.abs(v - want.data[7 * done.dim + j]) <= 1e-5));
  model.dispose();
});

test('a bad row stops the run with its row, what came before readable; skipBadRows lists it; an abort leaves a readable file', async () => {
  const model = await GeoRange.load(files);
  const { text } = csv(50, new Map([[23, 'east'], [31, '']]));
  const input = path.join(dir, 'bad.csv');
  fs.writeFileSync(input, text);
  const out = path.join(dir, 'bad.npy');
  const e = await embedFile(model, input, { output: out, batchSize: 10 }).catch((err) => err);
  assert.deepEqual([e.code, e.row], ['bad_coordinate', 23]);
  assert.deepEqual(readNpy(out).shape, [23, model.dimOf('range+')], 'the 23 rows before it are written');

  const skip = await embedFile(model, input, { output: out, batchSize: 10, skipBadRows: true });
  assert.deepEqual(skip.skipped.map((s) => [s.row, s.code]), [[23, 'bad_coordinate'], [31, 'bad_coordinate']]);
  assert.deepEqual(readNpy(out).shape, [48, model.dimOf('range+')]);

  const many = path.join(dir, 'many.csv');
  fs.writeFileSync(many, csv(500).text);
  const controller = new AbortController();
  const stopped = await embedFile(model, many, { output: out, batchSize: 100, signal: controller.signal, onProgress: () => controller.abort() }).catch((err) => err);
  assert.equal(stopped.code, 'aborted');
  assert.deepEqual(readNpy(out).shape, [100, model.dimOf('range+')], 'the batch done before the abort');
  model.dispose();
});

test('a Blob in, a Blob out (the browser\'s way without a file to write to); no lon column is invalid_argument', async () => {
  const model = await GeoRange.load(files);
  const { text, points } = csv(30);
  const { blob, rows } = await embedFile(model, new Blob([text]), { variant: 'range' });
  assert.equal(rows, 30);
  const npy = path.join(dir, 'blob.npy');
  fs.writeFileSync(npy, Buffer.from(await blob.arrayBuffer()));
  const got = readNpy(npy);
  const want = await model.embed(points.flat(), { variant: 'range' });
  assert.deepEqual(got.shape, [30, want.length / 30]);
  assert.ok(got.data.every((v, i) => v === want[i]));
  const e = await embedFile(model, new Blob(['east,north\n1,2\n'])).catch((err) => err);
  assert.deepEqual([e.code, e.column], ['invalid_argument', 'lon']);
  model.dispose();
});

test('GeoJSON: a Point embeds, a Polygon is the mean of 20 points spread inside; a LineString stops the run or is skipped', async () => {
  const model = await GeoRange.load(files);
  const square = [[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]];
  const features = [
    { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [2.35, 48.86] } },
    { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [square] } },
    { type: 'Feature', properties: {}, geometry: { type: 'MultiPoint', coordinates: [[0, 0], [1, 1]] } },
    { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } },
    { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [-70, -30] } },
  ];
  const input = path.join(dir, 'places.geojson');
  fs.writeFileSync(input, JSON.stringify({ type: 'FeatureCollection', features }));
  const out = path.join(dir, 'geo.npy');
  const e = await embedFile(model, input, { output: out, variant: 'range' }).catch((err) => err);
  assert.deepEqual([e.code, e.row], ['invalid_argument', 3]);
  const dim = model.dimOf('range');
  assert.deepEqual(readNpy(out).shape, [3, dim], 'the three features before it are written');
  const done = await embedFile(model, input, { output: out, variant: 'range', skipBadRows: true });
  assert.deepEqual([done.rows, done.samples, done.skipped.map((x) => x.row)], [4, 20, [3]]);
  const got = readNpy(out).data;
  // The polygon: the mean of the same 20 points labelsFromGeoJson spreads inside it (feature 1).
  const { points } = labelsFromGeoJson(features.map((f) => ({ ...f, properties: { label: 'x' } })).slice(0, 2), { samples: 20 });
  const inside = await model.embed(points.subarray(2), { variant: 'range' });
  for (let j = 0; j < dim; j++) {
    const mean = Array.from({ length: 20 }, (_, k) => inside[k * dim + j]).reduce((a, b) => a + b, 0) / 20;
    assert.ok(Math.abs(got[dim + j] - mean) <= 1e-5, `dimension ${j}: ${got[dim + j]} against ${mean}`);
  }
  const paris = await model.embed([2.35, 48.86], { variant: 'range' });
  assert.ok(paris.every((v, j) => Math.abs(got[j] - v) <= 1e-5));
  model.dispose();
});
