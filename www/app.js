// The georange demo: a MapLibre GL JS map (local Natural Earth basemap, no tile server), click
// or tap for an embedding (or for "places like this"), a tiled embedding layer from the
// package's map layers (georange/layers), and a β slider for RANGE+. On a phone the panel is a bottom
// sheet (style.css).
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import { GeoRange, labelsFromCsv, labelsFromGeoJson, wasmModuleUrl } from './pkg/georange.js';
import { maplibreLayer } from './pkg/layers/maplibre.js';
import { CLASS_COLOURS, toCanvas } from './pkg/layers/index.js';
import { embedFile, toGeoTiff } from './pkg/files.js';

const $ = (id) => document.getElementById(id);

/** The models the page offers. Paths are relative to this page; all files are served with it. */
const MODELS = {
  geoclip: {
    encoder: 'models/geoclip/encoder.safetensors',
    bank: 'models/geoclip/bluemarble-bank.safetensors',
    variants: ['range+', 'range', 'encoder'],
    about: 'RANGE over GeoCLIP. Encoder: GeoCLIP (Vivanco et al., NeurIPS 2023), its real pretrained location encoder from the geoclip package on PyPI, 512-d. Bank: 50,000 points spread evenly over the globe; keys are GeoCLIP at each point, values a 276-d description of NASA\'s Blue Marble imagery around it (colour, texture and layout over 50, 200 and 800 km). Output: 276 retrieved + 512 GeoCLIP = 788-d. Built by build.sh; how much it helps: EVALUATION.md.',
  },
  fixture: {
    encoder: 'models/fixture/encoder.safetensors',
    bank: 'models/fixture/bank.safetensors',
    variants: ['range+', 'range', 'encoder'],
    about: 'SYNTHETIC: a SatCLIP-architecture encoder (L = 40) with random weights and a 512-row random bank, made by tools/fixtures/make_fixtures.py to test the code against the reference. It shows how RANGE works, not real geography. Convert the official SatCLIP + RANGE files with `georange convert satclip` and load them under "Load your own".',
  },
};

const state = { model: null, variants: [], layer: null, labels: [], probe: null, drawing: null };
const demo = (window.georangeDemo = { ready: false, lastVector: null, lastPoint: null, layerDone: 0, places: null });

// ---- status -------------------------------------------------------------------------------
function showError(e) {
  const box = $('error');
  box.textContent = String(e?.message ?? e);
  box.hidden = false;
  console.error(e);
}
function clearError() { $('error').hidden = true; $('error').textContent = ''; }
function progress(text) { $('progress').textContent = text; }
function summary(text) { $('panel-summary').textContent = text; }
const mb = (n) => (n / 1048576).toFixed(1) + ' MB';
/** `blob` saved as the file `name` (the browser's download). */
function saveBlob(blob, name) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- panel (a bottom sheet on phones) -------------------------------------------------------
$('panel-toggle').addEventListener('click', () => {
  const collapsed = $('panel').classList.toggle('collapsed');
  $('panel-toggle').setAttribute('aria-expanded', String(!collapsed));
});

// ---- map ----------------------------------------------------------------------------------
const EMPTY = { type: 'FeatureCollection', features: [] };
const map = new maplibregl.Map({
  container: 'map',
  center: [0, 20],
  zoom: 1,
  minZoom: 0,
  style: {
    version: 8,
    sources: { countries: { type: 'geojson', data: EMPTY }, rows: { type: 'geojson', data: EMPTY }, drawing: { type: 'geojson', data: EMPTY } },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': '#bcd3e6' } },
      { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': '#eef0e6', 'fill-opacity': 0.35 } },
      { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#4b5a6c', 'line-width': 0.7 } },
      {
        id: 'rows', type: 'circle', source: 'rows',
        paint: { 'circle-radius': ['get', 'radius'], 'circle-color': ['get', 'colour'], 'circle-opacity': 0.45, 'circle-stroke-color': ['get', 'colour'], 'circle-stroke-width': 1 },
      },
      // A polygon being drawn in Label & map.
      { id: 'drawing', type: 'line', source: 'drawing', paint: { 'line-color': '#d62728', 'line-width': 2, 'line-dasharray': [2, 1] } },
    ],
  },
});
window.georangeMap = map;

/** Unwraps a ring's longitudes so that no edge jumps across the antimeridian (which would
 *  draw a line across the whole map); such rings then extend a little past ±180°. */
function unwrapRing(ring) {
  let prev = ring[0][0];
  return ring.map(([lon, lat]) => {
    while (lon - prev > 180) lon -= 360;
    while (lon - prev < -180) lon += 360;
    prev = lon;
    return [lon, lat];
  });
}
function unwrapGeometry(g) {
  if (g.type === 'Polygon') g.coordinates = g.coordinates.map(unwrapRing);
  if (g.type === 'MultiPolygon') g.coordinates = g.coordinates.map((p) => p.map(unwrapRing));
  return g;
}
const mapReady = new Promise((resolve) => map.on('load', resolve));
Promise.all([fetch('vendor/countries-110m.json').then((r) => r.json()), mapReady])
  .then(([world]) => {
    const countries = topojson.feature(world, world.objects.countries);
    countries.features.forEach((f) => f.geometry && unwrapGeometry(f.geometry));
    map.getSource('countries').setData(countries);
  })
  .catch(showError);

/** Circles on the map for bank rows: `[{lon, lat, size in 0..1}]`, in `colour`. */
function showRows(rows, colour) {
  const features = rows.map(({ lon, lat, size }) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { radius: 4 + 10 * size, colour } }));
  map.getSource('rows')?.setData({ type: 'FeatureCollection', features });
}

// ---- models -------------------------------------------------------------------------------
/** The backend line of the status: set after each load and each embedding, since a lost
 * WebGPU device moves the model to the CPU mid-session. */
function showBackend() {
  const model = state.model;
  if (!model) return;
  const attention = model.gpuAttention ? `, ${model.gpuAttention} attention` : '';
  $('backend').textContent = model.backend === 'webgpu' ? `WebGPU${model.adapter ? ` — ${model.adapter}` : ''}${attention}` : `CPU (WebAssembly${model.wasmUrl.includes('relaxed') ? ' relaxed SIMD' : ''}${model.workers > 1 ? `, ${model.workers} workers` : ''})`;
  $('backend-note').textContent = model.note;
}

async function loadModel(spec) {
  clearError();
  state.layer?.remove();
  state.layer = null;
  state.model?.dispose();
  state.model = null;
  demo.ready = false;
  $('backend').textContent = 'loading…';
  summary('Loading the model…');
  const seen = {};
  const model = await GeoRange.load({
    encoder: spec.encoder,
    bank: spec.bank,
    integrity: spec.pins,
    device: new URLSearchParams(location.search).get('device') ?? 'auto',
    onProgress: ({ file, loaded, total }) => {
      seen[file] = total ? `${file} ${mb(loaded)} / ${mb(total)}` : `${file} ${mb(loaded)}`;
      progress(Object.values(seen).join(' · '));
    },
  });
  state.model = model;
  state.variants = spec.variants ?? (spec.bank ? ['range+', 'range', 'encoder'] : ['encoder']);
  $('variant').innerHTML = state.variants.map((v) => `<option>${v}</option>`).join('');
  $('click-mode').disabled = !spec.bank;
  showBackend();
  $('model-about').textContent = spec.about ?? 'Your own encoder' + (spec.bank ? ' and bank.' : '.');
  progress(`ready: ${Object.values(seen).join(' · ')}`);
  summary(`Ready on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} — tap the map`);
  await mapReady;
  demo.ready = true;
}

/** The content hash of each of the page's own files (models/pins.json, written by build.sh):
 * the package refuses any other file at their URLs (`integrity`). Offline without it: none. */
const pins = fetch('models/pins.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));

async function pickModel() {
  const choice = $('model-choice').value;
  $('custom').hidden = choice !== 'custom';
  if (choice === 'custom') return;
  try { await loadModel({ ...MODELS[choice], pins: (await pins)[choice] }); } catch (e) { showError(e); $('backend').textContent = '—'; }
}
$('model-choice').addEventListener('change', pickModel);
$('custom-load').addEventListener('click', async () => {
  const encoder = $('custom-encoder-file').files[0] ?? $('custom-encoder-url').value.trim();
  const bank = $('custom-bank-file').files[0] ?? ($('custom-bank-url').value.trim() || undefined);
  if (!encoder) { showError('Give an encoder URL or file.'); return; }
  try { await loadModel({ encoder, bank }); } catch (e) { showError(e); $('backend').textContent = '—'; }
});

const variant = () => $('variant').value || 'encoder';
const beta = () => Number($('beta').value);
const clickMode = () => document.querySelector('input[name=click]:checked').value;
$('beta').addEventListener('input', () => { $('beta-value').textContent = beta().toFixed(2); });
$('beta').addEventListener('change', () => { if (state.layer && variant() === 'range+') renderLayer(); });
$('variant').addEventListener('change', () => { if (state.layer) renderLayer(); });

// ---- click or tap → embedding, or places like it --------------------------------------------
function drawStrip(vector) {
  const canvas = $('strip');
  canvas.width = vector.length;
  canvas.height = 1;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(vector.length, 1);
  let scale = 0;
  for (const v of vector) scale = Math.max(scale, Math.abs(v));
  vector.forEach((v, i) => {
    const t = scale ? v / scale : 0; // diverging: blue (−) white (0) red (+)
    img.data.set(t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t), 255] : [255 * (1 + t), 255 * (1 + t), 255, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
}

map.on('click', async (e) => {
  if (!state.model) return;
  const { lat } = e.lngLat;
  const lon = e.lngLat.wrap().lng;
  clearError();
  if (clickMode() === 'label') return state.drawing ? addCorner(lon, lat) : addLabel(lon, lat, nextLabel());
  try {
    const t0 = performance.now();
    const v = await state.model.embed([lon, lat], { variant: variant(), beta: beta() });
    const ms = performance.now() - t0;
    demo.lastVector = Array.from(v);
    demo.lastPoint = [lon, lat];
    $('point').hidden = false;
    $('coords').textContent = `lon ${lon.toFixed(4)}, lat ${lat.toFixed(4)} · ${variant()}${variant() === 'range+' ? ` β=${beta()}` : ''} · ${v.length}-d`;
    $('timing').textContent = `${ms.toFixed(1)} ms on ${state.model.backend}`;
    summary(`${lat.toFixed(2)}, ${lon.toFixed(2)}: ${v.length}-d in ${ms.toFixed(0)} ms`);
    showBackend();
    drawStrip(v);
    if (clickMode() === 'places' && variant() !== 'encoder') await placesLike(v);
    else await explain(lon, lat);
  } catch (err) { showError(err); }
});

async function explain(lon, lat) {
  $('places').hidden = true;
  const list = $('explain');
  list.innerHTML = '';
  showRows([], '#c0392b');
  if (variant() === 'encoder') return;
  const top = await state.model.explain(lon, lat, { variant: variant(), beta: beta(), k: 8 });
  list.innerHTML = '<lh>Bank rows that contribute most:</lh>' +
    top.map((c) => `<li>row ${c.index}: ${(100 * c.weight).toFixed(1)}% at ${c.lon.toFixed(2)}, ${c.lat.toFixed(2)}</li>`).join('');
  const max = top[0]?.weight || 1;
  showRows(top.map((c) => ({ ...c, size: c.weight / max })), '#c0392b');
}

/** "Places like this": the bank's most similar rows world-wide (by their values), and the
 * view coloured by similarity to the clicked point. */
async function placesLike(v) {
  $('explain').innerHTML = '';
  const high = state.model.highPart(v, variant());
  const t0 = performance.now();
  const places = await state.model.rankBank(high, { k: 10 });
  const ms = performance.now() - t0;
  demo.places = places;
  $('places').hidden = false;
  $('places-timing').textContent = `${places.length} of the bank's rows ranked in ${ms.toFixed(1)} ms (exact, world-wide)`;
  $('places-list').innerHTML = places.map((p) => `<li>${p.lat.toFixed(2)}, ${p.lon.toFixed(2)}: similarity ${p.similarity.toFixed(3)}</li>`).join('');
  showRows(places.map((p, i) => ({ ...p, size: 1 - i / places.length })), '#7b2cbf');
  await renderLayer('similarity', { reference: v });
}

// ---- embedding layer ----------------------------------------------------------------------
function layerOptions() {
  return { variant: variant(), beta: beta(), cellSize: Number($('resolution').value), basis: $('colours').value, batchSize: 256 };
}

/** After each picture: the status line, the legend, and what the tests read. */
function onRender(picture) {
  demo.layerCanvas = toCanvas(picture.image);
  demo.layerDone++;
  const { grid, legend } = picture;
  $('legend').hidden = !legend;
  if (legend?.classes) {
    const ctx = $('legend-ramp').getContext('2d');
    legend.classes.forEach((c, i, all) => { ctx.fillStyle = c.colour; ctx.fillRect((i * 256) / all.length, 0, 256 / all.length + 1, 10); });
    $('legend-values').innerHTML = legend.classes.map((c) => `<span style="color:${c.colour}">${escapeHtml(String(c.label))}</span>`).join('');
  } else if (legend) {
    const ctx = $('legend-ramp').getContext('2d');
    legend.stops.forEach((s, i, all) => { ctx.fillStyle = s.colour; ctx.fillRect((i * 256) / all.length, 0, 256 / all.length + 1, 10); });
    $('legend-values').innerHTML = legend.stops.map((s) => `<span>${s.value.toFixed(2)}</span>`).join('');
  }
  const layer = state.layer;
  progress(`view: ${picture.tiles.length} tiles of ${layer.cells}×${layer.cells} cells (${grid.cols}×${grid.rows}), ${picture.mode}, ${variant()}${variant() === 'range+' ? ` β=${beta()}` : ''} on ${state.model.backend}; ${layer.stats.points} points embedded, ${layer.cache.size} tiles kept (${mb(layer.cache.bytes)})`);
  showBackend();
}

/** `model`'s embedding layer: tiles on the map's own tile machinery, made on the first
 * "Embed the map" (or places click), then following the map. */
function newLayer(model) {
  return maplibreLayer(map, model, { maplibregl, ...layerOptions(), beforeId: 'borders', onRender, onError: showError, onProgress: ({ done, total }) => progress(`embedding the view: ${done} / ${total} cells`) });
}

/** Draws the layer (made if need be) with the panel's options, in `mode` (default: what it
 * shows now, similarity only while places-like-this clicks are on). */
async function renderLayer(mode = clickMode() === 'places' && state.layer?.current?.mode === 'similarity' ? 'similarity' : 'pca', extra = {}) {
  if (!state.model) return;
  clearError();
  state.layer ??= newLayer(state.model);
  try {
    await state.layer.update({ ...layerOptions(), mode, ...extra });
  } catch (e) { showError(e); }
}
$('layer-toggle').addEventListener('click', () => renderLayer('pca'));
$('layer-refit').addEventListener('click', () => state.layer?.refit());
$('layer-clear').addEventListener('click', () => {
  state.layer?.remove();
  state.layer = null;
});
/** What the map shows (`picture`: its colours) or knows (its cells' embeddings) as a GeoTIFF
 * download, georeferenced in EPSG:3857 as the view, for QGIS or GDAL. */
async function downloadGeoTiff(picture) {
  clearError();
  const current = state.layer?.current;
  if (!current) return showError(new Error('Embed the map first: the GeoTIFF is the view on the map.'));
  try {
    const source = picture ? current : { grid: current.grid };
    const bytes = await toGeoTiff(source, { model: state.model, variant: variant(), beta: beta(), metadata: { mode: current.mode } });
    saveBlob(new Blob([bytes], { type: 'image/tiff' }), picture ? 'georange-map.tif' : 'georange-embeddings.tif');
  } catch (e) { showError(e); }
}
// ---- embed a file ---------------------------------------------------------------------------
let embedding = null;
/** Embeds the chosen CSV file in this page (`embedFile`, streamed) and downloads the result. */
async function embedChosenFile() {
  clearError();
  const file = $('embed-file').files[0];
  if (!state.model || !file) return showError(new Error('Choose a CSV file of places first.'));
  const format = $('embed-format').value;
  embedding = new AbortController();
  const status = (t) => { $('embed-file-status').textContent = t; };
  try {
    const done = await embedFile(state.model, file, {
      format, variant: variant(), beta: beta(), signal: embedding.signal,
      onProgress: (p) => status(`${p.rows.toLocaleString()} rows, ${Math.round(p.pointsPerSecond)} points/s${p.secondsLeft !== undefined ? `, about ${Math.ceil(p.secondsLeft)} s left` : ''}`),
    });
    status(`${done.rows.toLocaleString()} rows of ${done.dim} values in ${done.seconds.toFixed(1)} s`);
    demo.embeddedFile = { rows: done.rows, dim: done.dim };
    saveBlob(done.blob, file.name.replace(/\.csv$/i, '') + (format === 'npy' ? '.embeddings.npy' : '.embeddings.csv'));
  } catch (e) {
    status('');
    showError(e);
  } finally {
    embedding = null;
  }
}
$('embed-file-go').addEventListener('click', embedChosenFile);
$('embed-file-stop').addEventListener('click', () => embedding?.abort());
$('layer-geotiff').addEventListener('click', () => downloadGeoTiff(true));
$('grid-geotiff').addEventListener('click', () => downloadGeoTiff(false));
$('resolution').addEventListener('change', () => state.layer && renderLayer());
$('colours').addEventListener('change', () => state.layer && renderLayer());

// ---- label & map ------------------------------------------------------------------------
const escapeHtml = (t) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const labelClasses = () => [...new Set(state.labels.map((l) => l.label))].sort();

/** The labels on the map (each class in its colour) and their counts in the panel. */
function showLabels() {
  const classes = labelClasses();
  const colour = (label) => CLASS_COLOURS[classes.indexOf(label) % CLASS_COLOURS.length];
  const features = state.labels.map(({ lon, lat, label }) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { radius: 6, colour: colour(label) } }));
  map.getSource('rows')?.setData({ type: 'FeatureCollection', features });
  $('label-counts').innerHTML = classes.map((c) => `<li style="color:${colour(c)}">${escapeHtml(c)}: ${state.labels.filter((l) => l.label === c).length}</li>`).join('');
  $('label-classes').innerHTML = classes.map((c) => `<option value="${escapeHtml(c)}">`).join('');
  demo.labels = state.labels.length;
}

const probeKind = () => $('probe-kind').value;
const labelSummary = () => (probeKind() === 'similar'
  ? `${state.labels.length} labels: like ${state.labels.filter((l) => l.label === 'like').length}, not like ${state.labels.filter((l) => l.label === 'unlike').length}`
  : `${state.labels.length} labels, ${labelClasses().length} classes`);
/** The label of the next click: the class box's, or like / unlike for "more like these". */
const nextLabel = () => (probeKind() === 'similar' ? document.querySelector('input[name=like]:checked').value : $('label-class').value.trim());

function addLabel(lon, lat, label) {
  if (!label) return showError(new Error('Give the class a name first (the box above the buttons).'));
  state.labels.push({ lon, lat, label });
  showLabels();
  summary(labelSummary());
  // "More like these" is refitted as places are added, once it has been fitted.
  if (state.probe?.kind === 'similar' && probeKind() === 'similar') fitAndMap();
}

/** Polygons: clicks add corners (a dashed line shows them) until "Finish polygon", which
 * labels 20 places spread by area inside it (`labelsFromGeoJson`) with the next label. */
function addCorner(lon, lat) {
  state.drawing.push([lon, lat]);
  const ring = [...state.drawing, state.drawing[0]];
  map.getSource('drawing')?.setData({ type: 'Feature', geometry: { type: 'LineString', coordinates: unwrapRing(ring) } });
  $('polygon-draw').textContent = `Finish polygon (${state.drawing.length} corners)`;
  demo.corners = state.drawing.length;
}
function togglePolygon() {
  clearError();
  if (!state.drawing) {
    state.drawing = [];
    demo.corners = 0;
    $('polygon-draw').textContent = 'Finish polygon (0 corners)';
    return;
  }
  const corners = state.drawing;
  state.drawing = null;
  $('polygon-draw').textContent = 'Draw a polygon';
  map.getSource('drawing')?.setData(EMPTY);
  if (corners.length < 3) return showError(new Error('A polygon needs at least three corners: click or tap them on the map.'));
  const label = nextLabel();
  if (!label) return showError(new Error('Give the class a name first (the box above the buttons).'));
  try {
    const feature = { type: 'Feature', properties: { label }, geometry: { type: 'Polygon', coordinates: [[...corners, corners[0]]] } };
    const { points } = labelsFromGeoJson(feature, { samples: 20, seed: state.labels.length });
    for (let i = 0; i < points.length; i += 2) state.labels.push({ lon: points[i], lat: points[i + 1], label });
    showLabels();
    summary(labelSummary());
  } catch (e) { showError(e); }
}

/** Fits a probe on the labels, scores it by spatial cross-validation, and maps it. */
async function fitAndMap() {
  clearError();
  if (!state.model) return;
  try {
    const points = state.labels.flatMap((l) => [l.lon, l.lat]);
    const labels = state.labels.map((l) => l.label);
    const t0 = performance.now();
    const kind = probeKind();
    const probe = await state.model.fitProbe({ points, labels, kind, variant: variant(), beta: beta() });
    state.probe?.dispose();
    state.probe = probe;
    const fitMs = performance.now() - t0;
    let score = 'too few places for cross-validation';
    try {
      const cv = await state.probe.crossValidate({ blockDegrees: 10, folds: 5 });
      const acc = cv.folds.map((f) => f.accuracy);
      const sd = Math.sqrt(acc.reduce((s, a) => s + (a - cv.score) ** 2, 0) / acc.length);
      score = `cross-validated accuracy ${cv.score.toFixed(2)} ± ${sd.toFixed(2)} over ${cv.folds.length} folds (10° blocks)`;
      demo.cv = cv;
    } catch (e) { if (e.code !== 'invalid_argument') throw e; }
    const what = kind === 'similar' ? `more like ${labels.filter((l) => l === 'like').length}, not like ${labels.filter((l) => l === 'unlike').length} (${state.probe.method})` : `${state.probe.classes.length} classes`;
    $('probe-score').textContent = `${state.labels.length} labels, ${what}, fitted in ${fitMs.toFixed(0)} ms; ${score}`;
    $('probe-export').disabled = false;
    demo.probe = state.probe;
    await renderLayer('probe', { probe: state.probe });
  } catch (e) { showError(e); }
}

/** `geojson` downloaded as `name`. */
function download(geojson, name) {
  saveBlob(new Blob([JSON.stringify(geojson)], { type: 'application/geo+json' }), name);
}

/** The labels as a GeoJSON FeatureCollection file. */
function exportLabels() {
  const features = state.labels.map(({ lon, lat, label }) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { label } }));
  download({ type: 'FeatureCollection', features }, 'labels.geojson');
}

/** The probe's answer for every cell of the view embedded so far, as GeoJSON points. */
function exportPredictions() {
  const grid = state.layer?.current?.grid;
  if (!state.probe || !grid) return showError(new Error('Fit & map first: the predictions are those of the cells on the map.'));
  const { dim, embeddings, points } = grid;
  const answer = state.probe.predictEmbeddings(embeddings);
  // A cell not embedded yet is a row of zeros.
  const skip = (i) => embeddings.subarray(i * dim, (i + 1) * dim).every((v) => v === 0);
  const geojson = state.probe.predictionsGeoJson(points, answer, { skip });
  demo.predictions = geojson;
  download(geojson, 'predictions.geojson');
}

/** Labels from a GeoJSON file of Points or Polygons (property `label`, `class` or `name`) or a CSV
 * (`labelsFromCsv`: lon/lng/longitude/x, lat/latitude/y and label/class/value/name columns).
 * Nothing is added if a row is bad; the error names it. */
async function importLabels(file) {
  clearError();
  try {
    const text = await file.text();
    const rows = /\.csv$/i.test(file.name) ? csvLabels(text) : geojsonLabels(JSON.parse(text));
    state.labels.push(...rows);
    showLabels();
  } catch (e) { showError(e); }
}

/** Points and polygons (20 points spread over each) labelled by `label`, `class` or `name`. */
function geojsonLabels(fc) {
  const first = (fc.features ?? [fc])[0]?.properties ?? {};
  const property = ['label', 'class', 'name'].find((p) => p in first) ?? 'label';
  const { points, labels } = labelsFromGeoJson(fc, { property, samples: 20 });
  return labels.map((label, i) => ({ lon: points[2 * i], lat: points[2 * i + 1], label: String(label) }));
}

function csvLabels(text) {
  const { points, labels } = labelsFromCsv(text);
  return labels.map((label, i) => ({ lon: points[2 * i], lat: points[2 * i + 1], label: String(label) }));
}

$('probe-fit').addEventListener('click', fitAndMap);
$('label-undo').addEventListener('click', () => { state.labels.pop(); showLabels(); });
$('label-clear').addEventListener('click', () => { state.labels = []; showLabels(); });
$('label-export').addEventListener('click', exportLabels);
$('probe-export').addEventListener('click', exportPredictions);
$('polygon-draw').addEventListener('click', togglePolygon);
$('probe-kind').addEventListener('change', () => {
  const similar = probeKind() === 'similar';
  $('like-box').hidden = !similar;
  $('label-class-box').hidden = similar;
  // Each kind keeps its own labels (classes do not fit "like"); switching back finds them.
  state.labelsOf = { ...state.labelsOf, [similar ? 'classify' : 'similar']: state.labels };
  state.labels = state.labelsOf[similar ? 'similar' : 'classify'] ?? [];
  showLabels();
});
$('label-file').addEventListener('change', (e) => e.target.files[0] && importLabels(e.target.files[0]));
document.querySelectorAll('input[name=click]').forEach((r) => r.addEventListener('change', () => {
  $('label').hidden = clickMode() !== 'label';
  if (clickMode() === 'label') showLabels();
}));

// ---- offline ------------------------------------------------------------------------------
if ('serviceWorker' in navigator && !new URLSearchParams(location.search).has('nosw')) {
  // The worker precaches the one wasm module of the package's two that this browser runs.
  const wasm = new URL(wasmModuleUrl()).pathname.split('/').pop();
  navigator.serviceWorker.register(`sw.js?wasm=${encodeURIComponent(wasm)}`).catch((e) => console.warn('service worker:', e));
}

pickModel();
