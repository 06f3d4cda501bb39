// georange/files' toGeoTiff (issue 44), opened as GIS tools open it: rasterio (GDAL inside, from
// build.sh's target/venv) reads each file back, and its CRS, corners, band count, no-data value,
// metadata and the values at chosen cells must equal what the grid holds. Needs build.sh's
// pkg/, www/models/ and target/venv (python/requirements-test.txt).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const { toGeoTiff } = await import(pathToFileURL(path.join(root, 'pkg/files.js')));
const layers = await import(pathToFileURL(path.join(root, 'pkg/layers/index.js')));
const fixture = { encoder: `${root}/www/models/fixture/encoder.safetensors`, bank: `${root}/www/models/fixture/bank.safetensors`, workers: 1 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'georange-tiff-'));

/** What rasterio reads of `file`: CRS, bounds, shape, no-data, tags, and the pixel values at
 * each `[lon, lat]` of `at` (its coordinates in the file's CRS: `xy`). */
function rasterio(file, xy) {
  const script = `
import json, sys, math, rasterio
with rasterio.open(sys.argv[1]) as ds:
    out = {"epsg": ds.crs.to_epsg(), "bounds": list(ds.bounds), "width": ds.width, "height": ds.height,
           "count": ds.count, "dtype": ds.dtypes[0], "nodata": None if ds.nodata is None else str(ds.nodata),
           "tags": ds.tags(), "values": []}
    data = ds.read()
    for x, y in json.loads(sys.argv[2]):
        r, c = ds.index(x, y)
        out["values"].append([None if isinstance(v, float) and math.isnan(v) else v for v in data[:, r, c].tolist()])
print(json.dumps(out))`;
  return JSON.parse(execFileSync(path.join(root, 'target/venv/bin/python'), ['-c', script, file, JSON.stringify(xy)], { encoding: 'utf8' }));
}

const close = (a, b, tol = 1e-6) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('a lon/lat grid\'s embeddings: EPSG:4326, its corners, the chosen bands at each cell, NaN where a cell is not embedded', async () => {
  const model = await GeoRange.load(fixture);
  const grid = await layers.embedGrid(model, { bounds: [-30, -20, 30, 40], cols: 12, rows: 8, projection: 'lonlat', variant: 'range+', beta: 0.5 });
  grid.embeddings.fill(0, 5 * grid.dim, 6 * grid.dim); // cell 5: not embedded
  const bands = [0, 7, grid.dim - 1];
  const file = path.join(dir, 'grid.tif');
  fs.writeFileSync(file, Buffer.from(await toGeoTiff(grid, { model, variant: 'range+', beta: 0.5, bands })));
  const cells = [0, 5, 17, 95];
  const got = rasterio(file, cells.map((i) => [grid.points[2 * i], grid.points[2 * i + 1]]));
  assert.equal(got.epsg, 4326);
  assert.deepEqual(got.bounds, [-30, -20, 30, 40]);
  assert.deepEqual([got.width, got.height, got.count, got.dtype, got.nodata], [12, 8, 3, 'float32', 'nan']);
  assert.equal(got.tags.model, model._identity());
  assert.deepEqual([got.tags.variant, got.tags.beta], ['range+', '0.5']);
  cells.forEach((cell, k) => {
    const want = bands.map((b) => (cell === 5 ? null : grid.embeddings[cell * grid.dim + b]));
    got.values[k].forEach((v, j) => assert.ok(want[j] === null ? v === null : v !== null && close(v, want[j], 1e-7), `cell ${cell} band ${bands[j]}: ${v} against ${want[j]}`));
  });
  model.dispose();
});

test('a Mercator picture: EPSG:3857, the view\'s corners in metres, RGBA at each cell; per-cell scores as float bands', async () => {
  const model = await GeoRange.load(fixture);
  const grid = await layers.embedGrid(model, { bounds: [100, -10, 140, 30], cols: 16, rows: 10, projection: 'mercator', variant: 'range' });
  const { image } = layers.pcaImage(grid);
  const file = path.join(dir, 'picture.tif');
  fs.writeFileSync(file, Buffer.from(await toGeoTiff({ image, grid }, { model: 'fixture' })));
  const [x0, y0, x1, y1] = layers.mercatorExtent(grid.bounds);
  const cells = [0, 37, 159];
  const at = cells.map((i) => { const [a, , , b] = layers.mercatorExtent([grid.points[2 * i], grid.points[2 * i + 1], 0, grid.points[2 * i + 1]]); return [a, b]; });
  const got = rasterio(file, at);
  assert.equal(got.epsg, 3857);
  [x0, y0, x1, y1].forEach((v, i) => assert.ok(close(got.bounds[i], v), `bound ${i}: ${got.bounds[i]} against ${v}`));
  assert.deepEqual([got.width, got.height, got.count, got.dtype], [16, 10, 4, 'uint8']);
  cells.forEach((cell, k) => assert.deepEqual(got.values[k], Array.from(image.data.subarray(4 * cell, 4 * cell + 4)), `cell ${cell}`));
  assert.equal(got.tags.model, 'fixture');

  const scores = layers.cosineScores(grid.embeddings, grid.embeddings.subarray(0, grid.dim));
  const scoreFile = path.join(dir, 'scores.tif');
  fs.writeFileSync(scoreFile, Buffer.from(await toGeoTiff({ grid, values: scores })));
  const s = rasterio(scoreFile, at);
  assert.equal(s.count, 1);
  cells.forEach((cell, k) => assert.ok(close(s.values[k][0], scores[cell], 1e-7), `score at ${cell}`));
  model.dispose();
});

test('toGeoTiff refuses what it cannot write, with invalid_argument', async () => {
  const grid = { bounds: [0, 0, 10, 10], projection: 'lonlat', cols: 2, rows: 2, dim: 3, embeddings: new Float32Array(12).fill(1) };
  const refused = (source, options) => assert.rejects(toGeoTiff(source, options), (e) => e.code === 'invalid_argument', JSON.stringify(options));
  await refused(grid, { bands: [3] });
  await refused({ image: { width: 3, height: 2, data: new Uint8Array(24) }, grid });
  await refused({ ...grid, projection: 'polar' });
  await refused({ grid: { ...grid, embeddings: undefined } });
  await refused({});
});
