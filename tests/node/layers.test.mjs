// georange/layers and "places like this" in Node.js: grid maths (Mercator, lon/lat, the
// antimeridian, the poles), PCA and similarity colours, a grid embedded as `embed` embeds its
// points, cancellation mid-grid, a live layer showing only the latest view, and the bank's
// ranking against a brute force computed here from the bank file (one thread and two worker
// threads). Needs build.sh's pkg/ and www/models/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readBank, cosines } from './safetensors.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = (p) => import(pathToFileURL(path.join(root, 'pkg', p)));
const { GeoRange } = await pkg('georange.js');
const layers = await pkg('layers/index.js');
const fixture = { encoder: `${root}/www/models/fixture/encoder.safetensors`, bank: `${root}/www/models/fixture/bank.safetensors` };
const geoclip = { encoder: `${root}/www/models/geoclip/encoder.safetensors`, bank: `${root}/www/models/geoclip/bluemarble-bank.safetensors` };
const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Mercator rows are evenly spaced in Mercator y, lon/lat rows in latitude; cellAt finds every cell', () => {
  for (const projection of ['mercator', 'lonlat']) {
    const g = layers.makeGrid({ bounds: [-10, 30, 20, 60], cols: 6, rows: 5, projection });
    assert.equal(g.points.length, 60);
    const lat = (r) => g.points[(r * 6) * 2 + 1];
    const y = projection === 'mercator' ? (l) => Math.log(Math.tan(Math.PI / 4 + (l * Math.PI) / 360)) : (l) => l;
    const steps = [0, 1, 2, 3].map((r) => y(lat(r)) - y(lat(r + 1)));
    steps.forEach((s) => close(s, steps[0], 1e-12, `${projection} row step`));
    close(y(60) - y(lat(0)), steps[0] / 2, 1e-12, `${projection} first row half a step below the north edge`);
    assert.ok(projection === 'lonlat' || Math.abs(lat(2) - 45) > 0.1, 'Mercator rows are not evenly spaced in latitude');
    for (let i = 0; i < 30; i++) assert.equal(layers.cellAt(g, g.points[2 * i], g.points[2 * i + 1]), i);
    assert.equal(layers.cellAt(g, 25, 45), -1);
  }
});

test('a box across the antimeridian is unwrapped for placing and wrapped for embedding', () => {
  for (const bounds of [[170, -10, -170, 10], [170, -10, 190, 10]]) {
    const g = layers.makeGrid({ bounds, cols: 4, rows: 2 });
    assert.deepEqual(g.bounds, [170, -10, 190, 10]);
    assert.deepEqual([0, 1, 2, 3].map((c) => g.points[2 * c]), [172.5, 177.5, -177.5, -172.5]);
    assert.equal(layers.cellAt(g, -177.5, 5), 2);
    assert.equal(layers.cellAt(g, 182.5, 5), 2);
  }
  // More than the world: one world wide, centred where the view was.
  assert.deepEqual(layers.normaliseBounds([-400, -10, 400, 10]), [-180, -10, 180, 10]);
});

test('polar views are clamped to what each projection shows; bad boxes are invalid_argument', () => {
  assert.deepEqual(layers.normaliseBounds([0, 70, 10, 90]), [0, 70, 10, layers.MERCATOR_MAX_LAT]);
  assert.deepEqual(layers.normaliseBounds([0, -95, 10, -80], 'lonlat'), [0, -90, 10, -80]);
  const g = layers.makeGrid({ bounds: [-180, 80, 180, 90], cols: 8, rows: 4 });
  for (let i = 1; i < g.points.length; i += 2) assert.ok(g.points[i] < layers.MERCATOR_MAX_LAT && g.points[i] > 80);
  for (const bad of [[0, 0, 0, 0], [0, 10, 5, NaN], [0, 90, 10, 95], 'x']) {
    assert.throws(() => layers.makeGrid({ bounds: bad, cols: 2, rows: 2 }), (e) => e.code === 'invalid_argument', String(bad));
  }
  assert.throws(() => layers.makeGrid({ bounds: [0, 0, 1, 1], size: [100, 100], cellSize: 0 }), (e) => e.code === 'invalid_argument');
  assert.throws(() => layers.makeGrid({ bounds: [0, 0, 1, 1], cols: 2, rows: 2, projection: 'polar' }), (e) => e.code === 'invalid_argument');
});

test('EPSG:3857 extents round-trip', () => {
  const b = [-30, -60, 150, 70];
  layers.lonLatBounds(layers.mercatorExtent(b)).forEach((v, i) => close(v, b[i], 1e-9, `bound ${i}`));
  close(layers.mercatorExtent([180, 0, 180, 0])[0], 20037508.342789244, 1e-6, 'x at 180°');
});

test('PCA finds the planted directions, deterministically, and a basis passed back colours alike', () => {
  const dim = 12;
  const n = 500;
  const x = new Float32Array(n * dim);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [10 * rand(), 5 * rand(), 2 * rand()];
    for (let j = 0; j < dim; j++) x[i * dim + j] = 0.01 * rand() + 3;
    x[i * dim + 0] += a;
    x[i * dim + 1] += b;
    x[i * dim + 2] += c;
  }
  const basis = layers.fitPca(x, dim);
  for (let k = 0; k < 3; k++) assert.ok(basis.axes[k * dim + k] > 0.999, `axis ${k}: ${basis.axes.slice(k * dim, k * dim + 3)}`);
  assert.deepEqual(layers.fitPca(x, dim), basis);
  const grid = { cols: 25, rows: 20, dim, embeddings: x };
  const first = layers.pcaImage(grid).image.data;
  const half = { cols: 25, rows: 10, dim, embeddings: x.subarray(250 * dim) };
  assert.deepEqual(layers.pcaImage(half, { basis }).image.data, first.subarray(250 * 4));
  assert.throws(() => layers.pcaImage({ ...grid, dim: 3 }, { basis }), (e) => e.code === 'invalid_argument');
});

test('similarity colours: cosine per cell on the ramp, a legend from min to max', () => {
  const grid = { cols: 3, rows: 1, dim: 2, embeddings: Float32Array.of(1, 0, 0, 1, -1, 0) };
  const { scores, image, legend } = layers.similarityImage(grid, [1, 0]);
  assert.deepEqual([...scores], [1, 0, -1]);
  assert.deepEqual([...image.data.subarray(0, 3)], layers.rampColour(1));
  assert.deepEqual([...image.data.subarray(8, 11)], layers.rampColour(0));
  assert.deepEqual(legend.stops.map((s) => s.value), [-1, -0.5, 0, 0.5, 1]);
  assert.equal(legend.stops[4].colour, '#fde725');
  assert.deepEqual([...layers.meanEmbedding(Float32Array.of(1, 2, 3, 4), 2)], [2, 3]);
  assert.throws(() => layers.similarityImage(grid, [1, 0, 0]), (e) => e.code === 'invalid_argument');
});

test('a grid embeds its cells as embed does; an abort mid-grid rejects with aborted and the model goes on', async () => {
  const model = await GeoRange.load({ ...fixture, workers: 1 });
  try {
    const grid = await layers.embedGrid(model, { bounds: [160, -20, -160, 20], size: [320, 160], cellSize: 16, variant: 'range+', beta: 0.5 });
    assert.equal(grid.cols * grid.rows, 200);
    assert.deepEqual(grid.embeddings, await model.embed(grid.points, { variant: 'range+', beta: 0.5 }));
    const controller = new AbortController();
    let batches = 0;
    const run = layers.embedGrid(model, {
      bounds: [-180, -80, 180, 80], cols: 64, rows: 32, batchSize: 64, signal: controller.signal,
      onProgress: () => { if (++batches === 2) controller.abort(); },
    });
    await assert.rejects(run, (e) => e.code === 'aborted' && e.name === 'GeoRangeError');
    assert.equal(batches, 2, 'no batch after the abort');
    assert.equal((await model.embed([0, 0])).length, model.dim);
  } finally {
    model.dispose();
  }
});

test('a live layer shows only the latest view when the view changes mid-embedding', async () => {
  const model = await GeoRange.load({ ...fixture, workers: 1 });
  try {
    const shown = [];
    let bounds = [-180, -80, 180, 80];
    const live = layers.liveLayer({ geoRange: model, view: () => ({ bounds, size: [512, 256] }), show: (p) => shown.push(p), cellSize: 8, batchSize: 32 });
    const first = live.refresh();
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(live.busy);
    bounds = [0, 0, 10, 10];
    const second = live.refresh();
    assert.equal(await first, null);
    const picture = await second;
    assert.equal(shown.length, 1);
    assert.deepEqual(picture.grid.bounds, [0, 0, 10, 10]);
    assert.equal(live.busy, false);
    // Similarity to a cell of the grid: that cell scores 1, the highest.
    const cell = 37;
    const ref = picture.grid.embeddings.subarray(cell * picture.grid.dim, (cell + 1) * picture.grid.dim);
    const sim = await live.update({ mode: 'similarity', reference: ref });
    close(sim.scores[cell], 1, 1e-6, 'own cell');
    assert.equal(sim.legend.max, Math.max(...sim.scores));
  } finally {
    model.dispose();
  }
});

test('places like this: the bank ranked as a brute force over the bank file ranks it, on one thread and on two workers', async () => {
  const bank = readBank(geoclip.bank);
  const one = await GeoRange.load({ ...geoclip, workers: 1 });
  const two = await GeoRange.load({ ...geoclip, workers: 2 });
  try {
    for (const [lon, lat] of [[2.35, 48.85], [-60, -3], [179.5, -16.5]]) {
      const v = await one.embed([lon, lat], { variant: 'range+', beta: 0.5 });
      const valueDim = one.dimOf('range') - one.dimOf('encoder');
      for (const [by, rows, query] of [['values', bank.values, v.subarray(0, valueDim)], ['keys', bank.keys, v.subarray(valueDim)]]) {
        const want = cosines(rows, query);
        const sorted = [...want].sort((a, b) => b - a);
        for (const model of [one, two]) {
          const got = await model.rankBank(query, { by, k: 25 });
          assert.equal(got.length, 25);
          got.forEach((s, i) => {
            // f32 sums against an f64 brute force: 1e-5 in the cosine.
            close(s.similarity, want[s.index], 1e-5, `${by} rank ${i}`);
            assert.ok(want[s.index] >= sorted[24] - 1e-5, `${by}: row ${s.index} is not in the top 25`);
            assert.deepEqual([s.lon, s.lat], [bank.locs.data[2 * s.index], bank.locs.data[2 * s.index + 1]]);
          });
        }
      }
      const places = await one.placesLike(lon, lat, { k: 5 });
      assert.deepEqual(places, await one.rankBank(v.subarray(0, one.dimOf('range') - one.dimOf('encoder')), { k: 5 }));
    }
    await assert.rejects(one.rankBank([1, 2, 3]), (e) => e.code === 'invalid_argument');
    await assert.rejects(one.rankBank(new Float32Array(one.dimOf('encoder')), { k: 0 }), (e) => e.code === 'invalid_argument');
  } finally {
    one.dispose();
    two.dispose();
  }
});
