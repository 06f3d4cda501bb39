// The npm package's CPU workers in Node.js (worker_threads): the demo's 38 MB Blue Marble bank
// split over two worker threads computes what one thread and the native CLI compute (relative
// error ≤ 1e-5 per row); `workers: 'auto'` takes them for a bank that large; an idle model
// keeps no thread referenced (this file's process could not end otherwise), and `dispose`
// ends them. Needs build.sh's pkg/ and www/models/geoclip/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../browser/npy.mjs';
import { worstRelative } from './rows.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, 'out/node-tests');
const models = path.join(root, 'www/models/geoclip');
const encoder = `${models}/encoder.safetensors`;
const bank = `${models}/bluemarble-bank.safetensors`;
const queries = path.join(root, 'tests/fixtures/queries.csv');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));

fs.mkdirSync(work, { recursive: true });
execFileSync(path.join(root, 'target/release/georange'), ['embed', '--encoder', encoder, '--bank', bank,
  '--model', 'range+', '--beta', '0.5', '--input', queries, '--output', `${work}/native_bluemarble.npy`], { stdio: 'ignore' });
const native = readNpy(`${work}/native_bluemarble.npy`);
const points = Float64Array.from(fs.readFileSync(queries, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).flatMap(([, lat, lon]) => [Number(lon), Number(lat)]));

test('worker threads hold a large bank and embed as one thread and the native CLI do (≤ 1e-5)', async () => {
  const sharded = await GeoRange.load({ encoder, bank, workers: 2 });
  const auto = await GeoRange.load({ encoder, bank });
  const one = await GeoRange.load({ encoder, bank, workers: 1 });
  assert.equal(sharded.workers, 2);
  assert.equal(auto.workers, Math.min(os.availableParallelism(), 8));
  assert.equal(one.workers, 1);
  for (const model of [sharded, auto, one]) {
    const out = await model.embed(points, { variant: 'range+', beta: 0.5 });
    assert.ok(worstRelative(out, native.data, native.shape[1]) <= 1e-5);
    // One point at a time, as a server answering requests would ask.
    const first = await model.embed(points.subarray(0, 2), { variant: 'range+', beta: 0.5 });
    assert.ok(worstRelative(first, native.data.subarray(0, native.shape[1]), native.shape[1]) <= 1e-5);
  }
  const bad = await sharded.embed([0, 0, 0, 95]).catch((e) => e);
  assert.equal(bad.code, 'bad_coordinate');
  assert.equal(bad.row, 1);
  // In the 3rd batch of a call, through the workers' two rounds and the encoder alone: the
  // caller's row, in `row` and in the message (the core is told where each batch starts).
  const third = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 95, 6, 6];
  for (const variant of ['range+', 'encoder']) {
    const e = await sharded.embed(third, { variant, batchSize: 2 }).catch((err) => err);
    assert.equal(e.code, 'bad_coordinate', variant);
    assert.equal(e.row, 5, variant);
    assert.match(e.message, /^row 5: latitude 95/, variant);
  }
  for (const model of [sharded, auto, one]) model.dispose();
  const after = await sharded.embed([0, 0]).catch((e) => e);
  assert.equal(after.code, 'disposed');
});
