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

test('tiles: the tiles of each pyramid cover the world edge to edge; a tile off the pyramid is invalid_argument', () => {
  const M = layers.MERCATOR_MAX_LAT;
  assert.deepEqual(layers.tileBounds({ z: 0, x: 0, y: 0 }).map((v) => +v.toFixed(9)), [-180, -M, 180, M].map((v) => +v.toFixed(9)));
  assert.deepEqual(layers.tileBounds({ z: 0, x: 1, y: 0 }, 'lonlat'), [0, -90, 180, 90]);
  assert.deepEqual(layers.tilesAt(3), [8, 8]);
  assert.deepEqual(layers.tilesAt(3, 'lonlat'), [16, 8]);
  for (const projection of ['mercator', 'lonlat']) {
    const z = 3;
    const [across, down] = layers.tilesAt(z, projection);
    for (let y = 0; y < down; y++) {
      for (let x = 0; x < across; x++) {
        const [w, s, e, n] = layers.tileBounds({ z, x, y }, projection);
        assert.ok(e > w && n > s, `${projection} ${z}/${x}/${y}`);
        if (x + 1 < across) assert.equal(layers.tileBounds({ z, x: x + 1, y }, projection)[0], e);
        if (y + 1 < down) assert.equal(layers.tileBounds({ z, x, y: y + 1 }, projection)[3], s);
      }
    }
    // A tile's four children tile it exactly.
    const parent = layers.tileBounds({ z: 4, x: 5, y: 6 }, projection);
    const nw = layers.tileBounds({ z: 5, x: 10, y: 12 }, projection);
    const se = layers.tileBounds({ z: 5, x: 11, y: 13 }, projection);
    close(nw[0], parent[0], 1e-12, 'west'); close(nw[3], parent[3], 1e-12, 'north');
    close(se[2], parent[2], 1e-12, 'east'); close(se[1], parent[1], 1e-12, 'south');
  }
  for (const [tile, projection] of [[{ z: 1, x: 2, y: 0 }, 'mercator'], [{ z: 1, x: 3, y: 2 }, 'lonlat'], [{ z: -1, x: 0, y: 0 }, 'mercator'],
    [{ z: 1.5, x: 0, y: 0 }, 'mercator'], [{ z: 2, x: 0, y: 0 }, 'polar'], [undefined, 'mercator']]) {
    assert.throws(() => layers.tileBounds(tile, projection), (e) => e.code === 'invalid_argument', JSON.stringify(tile));
  }
});

test('tiles: the cells of a tile are fixed points inside it, the same whatever asks for them', () => {
  for (const projection of ['mercator', 'lonlat']) {
    const tile = { z: 6, x: 40, y: 20 };
    const g = layers.tileGrid(tile, { projection });
    assert.equal(g.cols, layers.TILE_CELLS);
    assert.equal(g.points.length, 2 * layers.TILE_CELLS ** 2);
    assert.deepEqual(g.tile, tile);
    assert.deepEqual(g.points, layers.tileGrid({ ...tile }, { projection }).points);
    const [w, s, e, n] = layers.tileBounds(tile, projection);
    for (let i = 0; i < g.points.length / 2; i++) {
      const [lon, lat] = [g.points[2 * i], g.points[2 * i + 1]];
      assert.ok(lon > w && lon < e && lat > s && lat < n, `cell ${i} at ${lon}, ${lat} outside ${[w, s, e, n]}`);
      assert.equal(layers.cellAt(g, lon, lat), i);
    }
    assert.equal(layers.tileGrid(tile, { projection, cells: 4 }).points.length, 32);
  }
});

test('tiles: coarse-to-fine embeds each cell once, and any prefix already covers the grid', () => {
  for (const [cols, rows] of [[32, 32], [24, 24], [5, 3], [1, 1]]) {
    const order = layers.coarseToFine(cols, rows);
    assert.equal(order.length, cols * rows);
    assert.equal(new Set(order).size, cols * rows, `${cols} × ${rows}: a cell twice`);
    const embedded = new Uint8Array(cols * rows);
    for (let k = 0; k < order.length; k++) {
      embedded[order[k]] = 1;
      if (k % 7 && k !== order.length - 1) continue;
      const source = layers.sourceCells(cols, rows, embedded);
      assert.ok(source.every((i) => i >= 0 && embedded[i]), `${cols} × ${rows} after ${k + 1}: a cell shows nothing or an unembedded cell`);
    }
    assert.deepEqual(Array.from(layers.sourceCells(cols, rows, embedded)), Array.from({ length: cols * rows }, (_, i) => i));
  }
  // 32 × 32: the tile's middle first (alone, it stands for every cell), then the middle of
  // each 16-cell block, each block then shown by its own.
  const order = layers.coarseToFine(32, 32);
  const at = (r, c) => r * 32 + c;
  assert.deepEqual(Array.from(order.slice(0, 5)), [at(16, 16), at(8, 8), at(8, 24), at(24, 8), at(24, 24)]);
  const embedded = new Uint8Array(1024);
  embedded[order[0]] = 1;
  assert.ok(layers.sourceCells(32, 32, embedded).every((i) => i === at(16, 16)));
  order.slice(1, 5).forEach((i) => { embedded[i] = 1; });
  const source = layers.sourceCells(32, 32, embedded);
  assert.deepEqual([source[at(0, 0)], source[at(0, 31)], source[at(31, 0)], source[at(31, 31)], source[at(16, 16)]],
    [at(8, 8), at(8, 24), at(24, 8), at(24, 24), at(16, 16)]);
});

test('tiles: the cache keeps the most recently used within its bound, and keys tell settings apart', () => {
  const cache = layers.tileCache({ maxBytes: 100 });
  cache.set('a', 1, 40);
  cache.set('b', 2, 40);
  assert.equal(cache.get('a'), 1); // a is now the most recent
  cache.set('c', 3, 40); // 120 > 100: b, the least recent, goes
  assert.deepEqual([cache.has('a'), cache.has('b'), cache.has('c')], [true, false, true]);
  assert.equal(cache.bytes, 80);
  cache.set('a', 4, 10);
  assert.equal(cache.get('a'), 4);
  assert.equal(cache.bytes, 50);
  cache.set('huge', 5, 101);
  assert.ok(!cache.has('huge') && cache.size === 2, 'a value past the bound is not kept');
  cache.clear();
  assert.equal(cache.size + cache.bytes, 0);
  assert.throws(() => layers.tileCache({ maxBytes: 0 }), (e) => e.code === 'invalid_argument');
  const tile = { z: 3, x: 1, y: 2 };
  const key = (s, t = tile) => layers.tileKey({ variant: 'range+', beta: 0.5, ...s }, t);
  assert.equal(key({}), key({}));
  const keys = [key({}), key({ beta: 0 }), key({ variant: 'range' }), key({ projection: 'lonlat' }), key({ cells: 16 }), key({}, { z: 3, x: 2, y: 1 })];
  assert.equal(new Set(keys).size, keys.length);
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

test('a tile embeds coarse first, each stage covering the tile, each cell once, as embed embeds its points', async () => {
  const model = await GeoRange.load({ ...fixture, workers: 1 });
  try {
    const tile = { z: 3, x: 4, y: 2 };
    const options = { variant: 'range+', beta: 0.5 };
    const stages = [];
    const got = await layers.embedTile(model, tile, { ...options, cells: 8, onStage: (s) => stages.push(s) });
    assert.deepEqual(stages.map((s) => s.embedded), [1, 4, 16, 64]);
    assert.equal(stages.at(-1).embeddings, got.embeddings);
    const grid = layers.tileGrid(tile, { cells: 8 });
    assert.deepEqual(got.points, grid.points);
    const want = await model.embed(grid.points, options);
    const dim = got.dim;
    assert.equal(dim, model.dimOf('range+'));
    // Batches differ (a stage against the whole tile): within the batch-independence bound.
    for (let i = 0; i < want.length; i++) close(got.embeddings[i], want[i], 1e-6 * Math.max(1, Math.abs(want[i])), `value ${i}`);
    // Each stage: its embedded cells are the final ones, every other cell shows its source's.
    const order = layers.coarseToFine(8, 8);
    for (const stage of stages.slice(0, -1)) {
      const embedded = new Uint8Array(64);
      order.slice(0, stage.embedded).forEach((i) => { embedded[i] = 1; });
      const source = layers.sourceCells(8, 8, embedded);
      for (let cell = 0; cell < 64; cell++) {
        const row = (e, i) => Array.from(e.subarray(i * dim, (i + 1) * dim));
        assert.deepEqual(row(stage.embeddings, cell), row(got.embeddings, source[cell]), `stage ${stage.embedded}, cell ${cell}`);
      }
    }
    const controller = new AbortController();
    const run = layers.embedTile(model, tile, { ...options, cells: 8, signal: controller.signal, onStage: (s) => { if (s.embedded === 4) controller.abort(); } });
    await assert.rejects(run, (e) => e.code === 'aborted');
    await assert.rejects(layers.embedTile(model, { z: 1, x: 2, y: 0 }), (e) => e.code === 'invalid_argument');
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
