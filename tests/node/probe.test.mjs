// Probes in the npm package (issue 43), on the demo's GeoCLIP model and Blue Marble bank: a
// classifier, a regressor and a similarity probe ("more like these") fitted on labelled places
// map held-out places as the labels say; spatial cross-validation scores each fold; a probe's JSON loads back with the same
// answers, and is refused by another model (`pair_mismatch`) or when it is not a probe
// (`bad_file`); bad labels are refused with the row they name. The numbers themselves are the
// core's, held to scikit-learn in tests/probe.rs. Needs build.sh's pkg/ and www/models/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange, Probe } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
const demo = { encoder: `${root}/www/models/geoclip/encoder.safetensors`, bank: `${root}/www/models/geoclip/bluemarble-bank.safetensors`, workers: 2 };
const fixture = { encoder: `${root}/www/models/fixture/encoder.safetensors`, bank: `${root}/www/models/fixture/bank.safetensors` };

/** `n` points spread over the sphere (a Fibonacci lattice), offset by `shift`. */
function lattice(n, shift = 0) {
  const p = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    p[2 * i + 1] = (Math.asin(1 - (2 * (i + 0.5)) / n) * 180) / Math.PI;
    p[2 * i] = ((((i * 137.50776405 + shift) % 360) + 540) % 360) - 180;
  }
  return p;
}
const band = (lat) => (lat > 30 ? 'north' : lat < -30 ? 'south' : 'middle');

test('a classifier and a regressor fitted on labelled places map other places, and cross-validate', async () => {
  const model = await GeoRange.load(demo);
  const points = lattice(300);
  const lats = Array.from({ length: 300 }, (_, i) => points[2 * i + 1]);
  const probe = await model.fitProbe({ points, labels: lats.map(band), variant: 'range+', beta: 0.5 });
  assert.deepEqual(probe.classes, ['middle', 'north', 'south']);
  assert.equal(probe.method, 'logistic');
  const held = lattice(100, 40);
  const { labels, probabilities } = await probe.predict(held);
  const right = labels.filter((l, i) => l === band(held[2 * i + 1])).length;
  assert.ok(right >= 85, `${right} of 100 held-out places in the right band`);
  assert.equal(probabilities.length, 300);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(probabilities[3 * i] + probabilities[3 * i + 1] + probabilities[3 * i + 2] - 1) < 1e-9);
  // The answers as GeoJSON points for GIS tools: each its label and that label's probability.
  const answer = await probe.predict(held);
  const gj = probe.predictionsGeoJson(held, answer, { skip: (i) => i === 4 });
  assert.equal(gj.features.length, 99, 'the skipped point is left out');
  const f5 = gj.features[4];
  assert.deepEqual(f5.geometry.coordinates, [held[10], held[11]]);
  assert.equal(f5.properties.label, labels[5]);
  assert.equal(f5.properties.probability, probabilities[3 * 5 + probe.classes.indexOf(labels[5])]);
  assert.throws(() => probe.predictionsGeoJson(held.subarray(0, 10), answer), (e) => e.code === 'invalid_argument');

  const cv = await probe.crossValidate({ blockDegrees: 30, folds: 5, seed: 1 });
  assert.equal(cv.metric, 'accuracy');
  assert.equal(cv.folds.reduce((s, f) => s + f.test, 0), 300, 'every point is tested once');
  assert.ok(cv.folds.every((f) => f.accuracy >= 0 && f.accuracy <= 1 && f.macroF1 >= 0 && f.macroF1 <= 1));
  assert.ok(cv.score > 0.7, `cross-validated accuracy ${cv.score}`);

  const ridge = await model.fitProbe({ points, labels: lats.map((l) => Math.cos((l * Math.PI) / 180) * 30), kind: 'regress', alpha: 10 });
  assert.equal(ridge.method, 'ridge');
  const { values } = await ridge.predict(held);
  const err = Math.sqrt(values.reduce((s, v, i) => s + (v - Math.cos((held[2 * i + 1] * Math.PI) / 180) * 30) ** 2, 0) / 100);
  assert.ok(err < 5, `RMSE ${err} on a target between 0 and 30`);
  const rcv = await ridge.crossValidate({ blockDegrees: 30 });
  assert.equal(rcv.metric, 'r2');
  assert.ok(rcv.folds.every((f) => Number.isFinite(f.r2) && f.rmse >= 0));

  const knn = await model.fitProbe({ points, labels: lats.map((l) => (l > 0 ? 1 : 0)), method: 'knn', k: 3 });
  assert.deepEqual(knn.classes, [0, 1], 'integer labels come back as numbers');
  const k = await knn.predict(held.subarray(0, 20));
  assert.ok(k.labels.every((l) => l === 0 || l === 1));
  model.dispose();
});

test('more like these, not like those: a similarity probe scores like places above unlike ones, and maps as a ramp', async () => {
  const model = await GeoRange.load(demo);
  const points = lattice(200);
  const north = Array.from({ length: 200 }, (_, i) => points[2 * i + 1] > 30);
  // Two-class (like and unlike): the probability of like; held-out northern places score high.
  const probe = await model.fitProbe({ points, labels: north, kind: 'similar' });
  assert.deepEqual([probe.kind, probe.method, probe.givesValues], ['similar', 'logistic', true]);
  assert.deepEqual(probe.classes, ['like', 'unlike']);
  const held = lattice(100, 40);
  const { values } = await probe.predict(held);
  const right = Array.from(values).filter((v, i) => (v >= 0.5) === (held[2 * i + 1] > 30)).length;
  assert.ok(right >= 85, `${right} of 100 held-out places on the right side`);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  const cv = await probe.crossValidate({ blockDegrees: 30 });
  assert.equal(cv.metric, 'accuracy');
  assert.deepEqual(probe.predictionsGeoJson(held, { values }).features[3].properties, { score: values[3] });
  // One class (like places only): the cosine to their mean direction, higher near them.
  const likeOnly = Float64Array.from(Array.from({ length: 200 }, (_, i) => i).filter((i) => north[i]).flatMap((i) => [points[2 * i], points[2 * i + 1]]));
  const one = await model.fitProbe({ points: likeOnly, labels: Array(likeOnly.length / 2).fill('like'), kind: 'similar' });
  assert.equal(one.method, 'centroid');
  const s = (await one.predict(held)).values;
  const mean = (f) => { const v = Array.from(s).filter((_, i) => f(held[2 * i + 1])); return v.reduce((a, b) => a + b, 0) / v.length; };
  assert.ok(mean((lat) => lat > 45) > mean((lat) => lat < -45), 'the north scores above the south');
  await assert.rejects(one.crossValidate(), (e) => e.code === 'invalid_argument' && /unlike/.test(e.message));
  const back = GeoRange.loadProbe(JSON.stringify(one), model);
  assert.deepEqual(Array.from((await back.predict(held)).values), Array.from(s));
  const bad = await model.fitProbe({ points, labels: north.map((v, i) => (i === 9 ? 'maybe' : v)), kind: 'similar' }).catch((e) => e);
  assert.deepEqual([bad.code, bad.row], ['invalid_argument', 9]);
  // A tiled layer in probe mode shows the score on a ramp from 0 to 1 (a probability).
  const layers = await import(pathToFileURL(path.join(root, 'pkg/layers/index.js')));
  const layer = layers.tiledLayer({ geoRange: model, view: () => ({ bounds: [-40, -50, 40, 80], z: 1 }), cellSize: 64, mode: 'probe', probe });
  const picture = await layer.refresh();
  assert.ok(picture.legend.stops?.length || picture.legend.min !== undefined, `a ramp legend: ${JSON.stringify(picture.legend).slice(0, 80)}`);
  assert.deepEqual([picture.legend.min, picture.legend.max], [0, 1]);
  layer.remove();
  model.dispose();
});

test("a probe's JSON loads back on its model only; bad labels are refused with their row", async () => {
  const model = await GeoRange.load(demo);
  const other = await GeoRange.load(fixture);
  const points = lattice(120);
  const labels = Array.from({ length: 120 }, (_, i) => band(points[2 * i + 1]));
  for (const method of ['logistic', 'knn']) {
    const probe = await model.fitProbe({ points, labels, method });
    const text = JSON.stringify(probe);
    const back = GeoRange.loadProbe(text, model);
    assert.ok(back instanceof Probe);
    const [a, b] = [await probe.predict(points), await back.predict(points)];
    assert.deepEqual(b.labels, a.labels);
    assert.deepEqual(Array.from(b.probabilities), Array.from(a.probabilities));
    assert.equal(GeoRange.loadProbe(JSON.parse(text), model).method, method);
    assert.throws(() => GeoRange.loadProbe(text, other), (e) => e.code === 'pair_mismatch');
    assert.throws(() => GeoRange.loadProbe(text.slice(0, 200), model), (e) => e.code === 'bad_file');
    await assert.rejects(back.crossValidate(), (e) => e.code === 'invalid_argument');
    probe.dispose();
  }
  const refused = async (options, row) => {
    const e = await model.fitProbe({ points, labels, ...options }).catch((err) => err);
    assert.ok(['invalid_argument', 'bad_coordinate'].includes(e.code), `${JSON.stringify(options).slice(0, 60)}: ${e.code} ${e.message}`);
    if (row !== undefined) assert.equal(e.row, row, e.message);
    return e;
  };
  await refused({ labels: labels.map((l, i) => (i === 7 ? '' : l)) }, 7);
  await refused({ kind: 'regress', labels: labels.map((_, i) => (i === 3 ? Number.NaN : i)) }, 3);
  await refused({ labels: labels.slice(1) });
  await refused({ labels: labels.map(() => 'one') });
  await refused({ kind: 'sort' });
  await refused({ method: 'ridge' });
  const off = Float64Array.from(points);
  off[2 * 5 + 1] = 95;
  assert.equal((await refused({ points: off }, 5)).code, 'bad_coordinate');
  model.dispose();
  other.dispose();
});

test("a tiled layer in mode 'probe' paints each cell in its predicted class's colour, with a legend", async () => {
  const layers = await import(pathToFileURL(path.join(root, 'pkg/layers/index.js')));
  const model = await GeoRange.load(demo);
  const points = lattice(200);
  const probe = await model.fitProbe({ points, labels: Array.from({ length: 200 }, (_, i) => band(points[2 * i + 1])), variant: 'range', beta: 0.5 });
  const view = { bounds: [-40, -50, 40, 50], z: 1 };
  assert.throws(() => layers.tiledLayer({ geoRange: model, view: () => view, mode: 'probe' }), (e) => e.code === 'invalid_argument');
  const layer = layers.tiledLayer({ geoRange: model, view: () => view, cellSize: 64, mode: 'probe', probe, variant: 'range+' });
  const picture = await layer.refresh();
  assert.ok(picture, 'the view was painted');
  assert.deepEqual(picture.legend.classes.map((c) => c.label), probe.classes);
  const colours = picture.legend.classes.map((c) => [1, 3, 5].map((k) => parseInt(c.colour.slice(k, k + 2), 16)));
  const { grid, image } = picture;
  const cells = [];
  for (let i = 0; i < grid.cols * grid.rows; i++) if (grid.embeddings.subarray(i * grid.dim, i * grid.dim + 4).some((x) => x !== 0)) cells.push(i);
  assert.ok(cells.length >= 16, `${cells.length} cells embedded`);
  const want = await probe.predict(Float64Array.from(cells.flatMap((i) => [grid.points[2 * i], grid.points[2 * i + 1]])));
  const same = cells.filter((cell, j) => {
    const c = colours[probe.classes.indexOf(want.labels[j])];
    return [0, 1, 2].every((k) => image.data[4 * cell + k] === c[k]);
  });
  // The layer predicts from the rows it keeps in int8; a cell on a class boundary may flip.
  assert.ok(same.length >= 0.95 * cells.length, `${same.length} of ${cells.length} cells in their class's colour`);
  layer.remove();
  model.dispose();
});

test('labelsFromCsv: usual or named columns, quoted fields, bad rows refused by row and column', async () => {
  const { labelsFromCsv } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
  const text = 'id,Longitude,LAT,class\n1,2.35,48.86,"city, large"\n2,-0.1,51.5,"the ""old"" town"\n\n3,10,-20,field\n';
  const { points, labels, columns } = labelsFromCsv(text);
  assert.deepEqual(Array.from(points), [2.35, 48.86, -0.1, 51.5, 10, -20]);
  assert.deepEqual(labels, ['city, large', 'the "old" town', 'field']);
  assert.deepEqual(columns, { lon: 'Longitude', lat: 'LAT', label: 'class' });
  const named = labelsFromCsv('a,b,t\n1,2,3.5\n', { lon: 'a', lat: 'b', label: 't', kind: 'regress' });
  assert.deepEqual(named.labels, [3.5]);
  const refused = (t, options, row, column) => assert.throws(() => labelsFromCsv(t, options), (e) => e.code === 'invalid_argument' && e.row === row && e.column === column, `${t}`);
  refused('lon,lat,label\n1,2,a\n1,95,b\n', {}, 1, 'lat');
  refused('lon,lat,label\n1,2,a\nx,2,b\n', {}, 1, 'lon');
  refused('lon,lat,label\n1,2,\n', {}, 0, 'label');
  refused('lon,lat,label\n1,2,3\n1,2,high\n', { kind: 'regress' }, 1, 'label');
  assert.throws(() => labelsFromCsv('east,north,label\n1,2,a\n'), (e) => e.code === 'invalid_argument' && e.column === 'lon' && /east/.test(e.message));
});

test('labelsFromGeoJson: points as given, polygons sampled by area inside their rings, bad features refused by index', async () => {
  const { labelsFromGeoJson } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));
  // Polygons are sampled by the wasm module: loading a model initialises it.
  (await GeoRange.load(fixture)).dispose();
  const square = (w, s, e, n) => [[w, s], [e, s], [e, n], [w, n], [w, s]];
  const fc = { type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { label: 'city' }, geometry: { type: 'Point', coordinates: [2.35, 48.86] } },
    { type: 'Feature', properties: { label: 'lake' }, geometry: { type: 'Polygon', coordinates: [square(0, 0, 40, 40), square(10, 10, 20, 20)] } },
    { type: 'Feature', properties: { label: 7 }, geometry: { type: 'MultiPolygon', coordinates: [[square(-50, -30, -40, -20)], [square(100, 0, 110, 10)]] } },
  ] };
  const { points, labels, feature } = labelsFromGeoJson(fc, { samples: 50, seed: 3 });
  assert.equal(labels.length, 1 + 50 + 100);
  assert.deepEqual([points[0], points[1]], [2.35, 48.86]);
  for (let i = 1; i < labels.length; i++) {
    const [lon, lat] = [points[2 * i], points[2 * i + 1]];
    if (feature[i] === 1) {
      assert.ok(lon >= 0 && lon <= 40 && lat >= 0 && lat <= 40 && !(lon > 10 && lon < 20 && lat > 10 && lat < 20), `${lon}, ${lat} not in the lake`);
      assert.equal(labels[i], 'lake');
    } else {
      assert.ok((lon >= -50 && lon <= -40) || (lon >= 100 && lon <= 110), `${lon}`);
      assert.equal(labels[i], 7);
    }
  }
  assert.deepEqual(labelsFromGeoJson(fc, { samples: 50, seed: 3 }).points, points, 'the same seed, the same points');
  assert.notDeepEqual(labelsFromGeoJson(fc, { samples: 50, seed: 4 }).points, points);
  const bowTie = { type: 'Feature', properties: { label: 'x' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]] } };
  const refused = (features, pattern) => assert.throws(() => labelsFromGeoJson(features), (e) => e.code === 'invalid_argument' && e.row === features.length - 1 && pattern.test(e.message));
  refused([fc.features[0], bowTie], /feature 1 .*crosses itself/);
  refused([{ ...fc.features[0], properties: {} }], /feature 0 has no "label"/);
  refused([{ type: 'Feature', properties: { label: 'l' }, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } }], /LineString/);
  refused([{ type: 'Feature', properties: { label: 'l' }, geometry: { type: 'Point', coordinates: [0, 91] } }], /off the globe/);
  const model = await GeoRange.load(fixture);
  const probe = await model.fitProbe({ points, labels: labels.map(String) });
  assert.deepEqual(probe.classes, ['7', 'city', 'lake']);
  model.dispose();
});
