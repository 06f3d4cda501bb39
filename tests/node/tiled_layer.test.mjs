// The tiled layer's logic (georange/layers' tiledLayer, which every map adapter drives) in
// Node.js, on a stand-in model whose embedding of a point is a known function of it: coarse
// cells first across all the view's tiles, a pan embedding only the new tiles, panning back
// embedding nothing, a moved view stopping the old one's tiles, the cache's bound, colours
// kept across views until `refit()`, and the mosaic `current` returns. Needs build.sh's pkg/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const layers = await import(pathToFileURL(path.join(root, 'pkg/layers/index.js')));

const DIM = 6;
/** A point's stand-in embedding: smooth in lon/lat, different at every cell. */
const rowOf = (lon, lat) => {
  const [a, b] = [(lon * Math.PI) / 180, (lat * Math.PI) / 180];
  return [Math.sin(a), Math.cos(a), Math.sin(3 * b), Math.cos(2 * b), Math.sin(a + 2 * b), Math.cos(5 * a - b)];
};

/** A model whose `embed` records each batch's points and yields between batches. */
function standIn() {
  const batches = [];
  return {
    batches,
    async embed(points) {
      await new Promise((r) => setImmediate(r));
      const n = points.length / 2;
      batches.push(Array.from({ length: n }, (_, i) => [points[2 * i], points[2 * i + 1]]));
      const out = new Float32Array(n * DIM);
      for (let i = 0; i < n; i++) out.set(rowOf(points[2 * i], points[2 * i + 1]), i * DIM);
      return out;
    },
  };
}

/** A tiled layer on a stand-in map whose view the test sets. */
function layerOn(first, options = {}) {
  const model = standIn();
  const map = { view: first };
  const pictures = [];
  const layer = layers.tiledLayer({ geoRange: model, view: () => map.view, cellSize: 32, onPicture: (tile, p) => pictures.push([tile, p]), ...options });
  return { model, map, layer, pictures };
}

const EUROPE = { bounds: [-20, 30, 40, 60], z: 3 };
const tilesOf = (view) => layers.tilesCovering(view.bounds, view.z);

test('the view is embedded coarse first across all its tiles: every tile has a picture before any is whole', async () => {
  const { model, layer, pictures } = layerOn(EUROPE, { cellSize: 16 }); // 16 cells a tile
  const whole = await layer.refresh();
  const count = tilesOf(EUROPE).length;
  assert.ok(count >= 4, `${count} tiles`);
  // The first batch is one cell of each tile, the second three more of each.
  assert.equal(model.batches[0].length, count);
  assert.equal(model.batches[1].length, 3 * count);
  const firstWhole = pictures.findIndex(([, p]) => p.complete);
  const seen = new Set(pictures.slice(0, firstWhole).map(([t]) => `${t.x}/${t.y}`));
  assert.equal(seen.size, count, 'a tile was whole before every tile had a picture');
  assert.ok(whole && whole.tiles.length === count && whole.tiles.every((t) => t.complete || t.embedded > 0));
  assert.equal(layer.busy, false);
});

test('a pan embeds only the tiles that came into view; panning back embeds nothing and shows the same picture', async () => {
  const { map, layer } = layerOn(EUROPE);
  const before = await layer.refresh();
  const points = layer.stats.points;
  map.view = { bounds: [25, 30, 85, 60], z: 3 }; // half a view east
  await layer.refresh();
  const panned = layer.stats.points - points;
  assert.ok(panned > 0 && panned < points, `the pan embedded ${panned} of the first view's ${points} points`);
  map.view = EUROPE;
  const back = await layer.refresh();
  assert.equal(layer.stats.points, points + panned, 'panning back embedded points');
  assert.deepEqual(back.image.data, before.image.data, 'panning back changed the picture');
});

test('a moved view stops the old view: its refresh resolves null and its tiles out of view gain no cells', async () => {
  const { map, layer, model } = layerOn(EUROPE, { batchSize: 16 });
  const first = layer.refresh();
  while (model.batches.length < 3) await new Promise((r) => setImmediate(r));
  const old = tilesOf(EUROPE);
  map.view = { bounds: [100, -40, 160, -10], z: 3 }; // elsewhere: no tile in common
  layer.auto();
  assert.equal(await first, null);
  // The batch in flight when the view moved still lands; none after it is the old view's.
  const moved = model.batches.length;
  while (model.batches.length < moved + 1) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const snapshot = old.map((t) => layer.tileProgress(t)?.embedded ?? 0);
  await layer.refresh();
  assert.deepEqual(old.map((t) => layer.tileProgress(t)?.embedded ?? 0), snapshot);
  assert.ok(snapshot.some((e) => e < 64), 'the old view was already whole: nothing to stop');
});

test('the cache holds at most its bound, dropping the least recently used tiles', async () => {
  const cells = 8 * 8; // 256-pixel tiles in 32-pixel cells
  const { map, layer } = layerOn({ bounds: [0, 0, 1, 1], z: 2 }, { cacheBytes: 3 * (cells * (DIM + 12) + 256) });
  const shown = []; // points each view embedded (the cells it shows of its one tile)
  for (let x = 0; x < 4; x++) {
    map.view = { bounds: [x * 90 - 170, 10, x * 90 - 160, 20], z: 2 }; // one tile each
    const before = layer.stats.points;
    await layer.refresh();
    shown.push(layer.stats.points - before);
    assert.ok(layer.cache.bytes <= layer.cache.maxBytes, `${layer.cache.bytes} bytes held, bound ${layer.cache.maxBytes}`);
  }
  assert.equal(layer.cache.size, 3);
  const points = layer.stats.points;
  map.view = { bounds: [-170, 10, -160, 20], z: 2 }; // the first tile: dropped, embedded again
  await layer.refresh();
  assert.equal(layer.stats.points - points, shown[0]);
  assert.ok(shown[0] > 0);
});

test('colours stay put as the view moves (one basis) until refit(); the mosaic matches the tiles', async () => {
  const { map, layer } = layerOn(EUROPE);
  const first = await layer.refresh();
  map.view = { bounds: [25, 30, 85, 60], z: 3 };
  const second = await layer.refresh();
  assert.equal(second.basis, first.basis, 'the basis was fitted again after a pan');
  const shared = first.tiles.find((a) => second.tiles.some((b) => b.tile.x === a.tile.x && b.tile.y === a.tile.y));
  const again = second.tiles.find((b) => b.tile.x === shared.tile.x && b.tile.y === shared.tile.y);
  assert.deepEqual(again.image.data, shared.image.data, 'a tile in both views changed colour');
  const refitted = await layer.refit();
  assert.notEqual(refitted.basis, first.basis);
  // The mosaic: each cell's point and embedding are the tile's (int8: within a 254th of the row's largest).
  const { grid } = refitted;
  assert.equal(grid.embeddings.length, grid.cols * grid.rows * DIM);
  let checked = 0;
  for (let i = 0; i < grid.cols * grid.rows; i += 7) {
    if (grid.embeddings.subarray(i * DIM, (i + 1) * DIM).every((x) => x === 0)) continue; // not in view: not embedded
    checked += 1;
    const want = rowOf(grid.points[2 * i], grid.points[2 * i + 1]);
    const big = Math.max(...want.map(Math.abs));
    want.forEach((w, k) => assert.ok(Math.abs(grid.embeddings[i * DIM + k] - w) <= big / 254 + 1e-7, `cell ${i}[${k}]`));
  }
  assert.ok(checked > (grid.cols * grid.rows) / 7 / 2, `only ${checked} cells embedded`);
});

test('a request whose signal fires is rejected with code aborted; one for a kept tile is answered at once', async () => {
  const { layer } = layerOn(EUROPE);
  await layer.refresh();
  const batches = layer.stats.batches;
  const kept = await layer.request(tilesOf(EUROPE)[0]);
  assert.ok(kept.embedded > 0 && layer.stats.batches === batches);
  const controller = new AbortController();
  const far = layer.request({ z: 5, x: 1, y: 1 }, controller.signal);
  controller.abort();
  await assert.rejects(far, (e) => e.code === 'aborted');
});

test('an embedding that fails rejects the refresh and the requests waiting, with its code, and goes to onError', async () => {
  const errors = [];
  const { layer, model } = layerOn(EUROPE, { onError: (e) => errors.push(e) });
  model.embed = async () => { throw Object.assign(new Error('bank lost'), { code: 'disposed' }); };
  const request = layer.request(tilesOf(EUROPE)[0]);
  await assert.rejects(layer.refresh(), (e) => e.code === 'disposed');
  await assert.rejects(request, (e) => e.code === 'disposed');
  assert.equal(errors.length, 1);
});
