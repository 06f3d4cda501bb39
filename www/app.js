// The georange demo: a Leaflet map (local Natural Earth basemap, no tile server), click for an
// embedding, an embedding layer coloured by PCA, and a β slider for RANGE+.
import { GeoRange, wasmModuleUrl } from './pkg/georange.js';

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

const state = { model: null, variants: [], layer: null, markers: [], busy: false };
const demo = (window.georangeDemo = { ready: false, lastVector: null, lastPoint: null, layerDone: 0 });

// ---- status -------------------------------------------------------------------------------
function showError(e) {
  const box = $('error');
  box.textContent = String(e?.message ?? e);
  box.hidden = false;
  console.error(e);
}
function clearError() { $('error').hidden = true; $('error').textContent = ''; }
function progress(text) { $('progress').textContent = text; }
const mb = (n) => (n / 1048576).toFixed(1) + ' MB';

// ---- map ----------------------------------------------------------------------------------
const map = L.map('map', { worldCopyJump: false, minZoom: 1, maxBounds: [[-90, -360], [90, 360]] }).setView([20, 0], 2);
window.georangeMap = map;
// The embedding layer sits under the country borders (overlayPane, z 400) and over the sea.
map.createPane('embedding').style.zIndex = 350;

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
fetch('vendor/countries-110m.json')
  .then((r) => r.json())
  .then((world) => {
    const countries = topojson.feature(world, world.objects.countries);
    countries.features.forEach((f) => f.geometry && unwrapGeometry(f.geometry));
    L.geoJSON(countries, {
      style: { color: '#4b5a6c', weight: 0.7, fillColor: '#eef0e6', fillOpacity: 0.35 },
      interactive: false,
    }).addTo(map);
  })
  .catch(showError);

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
  state.model?.dispose();
  state.model = null;
  demo.ready = false;
  $('backend').textContent = 'loading…';
  const seen = {};
  const model = await GeoRange.load({
    encoder: spec.encoder,
    bank: spec.bank,
    device: new URLSearchParams(location.search).get('device') ?? 'auto',
    onProgress: ({ file, loaded, total }) => {
      seen[file] = total ? `${file} ${mb(loaded)} / ${mb(total)}` : `${file} ${mb(loaded)}`;
      progress(Object.values(seen).join(' · '));
    },
  });
  state.model = model;
  state.variants = spec.variants ?? (spec.bank ? ['range+', 'range', 'encoder'] : ['encoder']);
  $('variant').innerHTML = state.variants.map((v) => `<option>${v}</option>`).join('');
  showBackend();
  $('model-about').textContent = spec.about ?? 'Your own encoder' + (spec.bank ? ' and bank.' : '.');
  progress(`ready: ${Object.values(seen).join(' · ')}`);
  demo.ready = true;
}

async function pickModel() {
  const choice = $('model-choice').value;
  $('custom').hidden = choice !== 'custom';
  if (choice === 'custom') return;
  try { await loadModel(MODELS[choice]); } catch (e) { showError(e); $('backend').textContent = '—'; }
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
$('beta').addEventListener('input', () => { $('beta-value').textContent = beta().toFixed(2); });
$('beta').addEventListener('change', () => { if (state.layer && variant() === 'range+') renderLayer(); });
$('variant').addEventListener('change', () => { if (state.layer) renderLayer(); });

// ---- click → embedding --------------------------------------------------------------------
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
  const { lat } = e.latlng;
  const lon = ((((e.latlng.lng + 180) % 360) + 360) % 360) - 180;
  clearError();
  try {
    const t0 = performance.now();
    const v = await state.model.embed([lon, lat], { model: variant(), beta: beta() });
    const ms = performance.now() - t0;
    demo.lastVector = Array.from(v);
    demo.lastPoint = [lon, lat];
    $('point').hidden = false;
    $('coords').textContent = `lon ${lon.toFixed(4)}, lat ${lat.toFixed(4)} · ${variant()}${variant() === 'range+' ? ` β=${beta()}` : ''} · ${v.length}-d`;
    $('timing').textContent = `${ms.toFixed(1)} ms on ${state.model.backend}`;
    showBackend();
    drawStrip(v);
    await explain(lon, lat);
  } catch (err) { showError(err); }
});

async function explain(lon, lat) {
  state.markers.forEach((m) => m.remove());
  state.markers = [];
  const list = $('explain');
  list.innerHTML = '';
  if (variant() === 'encoder') return;
  const top = await state.model.explain(lon, lat, { model: variant(), beta: beta(), k: 8 });
  list.innerHTML = '<lh>Bank rows that contribute most:</lh>' +
    top.map((c) => `<li>row ${c.index}: ${(100 * c.weight).toFixed(1)}% at ${c.lon.toFixed(2)}, ${c.lat.toFixed(2)}</li>`).join('');
  const max = top[0]?.weight || 1;
  for (const c of top) {
    state.markers.push(L.circleMarker([c.lat, c.lon], { radius: 4 + 12 * (c.weight / max), color: '#c0392b', weight: 1, fillOpacity: 0.4 }).addTo(map));
  }
}

// ---- embedding layer ----------------------------------------------------------------------
/** Top-3 principal components of `x` (n × d, row-major) by block power iteration. */
async function pca3(x, n, d) {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const c = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[i * d + j] = x[i * d + j] - mean[j];
  let basis = [0, 1, 2].map((k) => Float64Array.from({ length: d }, (_, j) => Math.sin(1 + j * (k + 1.7))));
  for (let it = 0; it < 25; it++) {
    basis = basis.map((v) => {
      const xv = new Float64Array(n);
      for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < d; j++) s += c[i * d + j] * v[j]; xv[i] = s; }
      const out = new Float64Array(d);
      for (let i = 0; i < n; i++) { const s = xv[i]; if (s) for (let j = 0; j < d; j++) out[j] += c[i * d + j] * s; }
      return out;
    });
    // Gram–Schmidt keeps the three directions apart.
    for (let k = 0; k < 3; k++) {
      for (let m = 0; m < k; m++) { let p = 0; for (let j = 0; j < d; j++) p += basis[k][j] * basis[m][j]; for (let j = 0; j < d; j++) basis[k][j] -= p * basis[m][j]; }
      let norm = 0; for (let j = 0; j < d; j++) norm += basis[k][j] ** 2; norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < d; j++) basis[k][j] /= norm;
    }
    if (it % 5 === 4) await new Promise((r) => setTimeout(r, 0));
  }
  const proj = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) { let s = 0; for (let j = 0; j < d; j++) s += c[i * d + j] * basis[k][j]; proj[i * 3 + k] = s; }
  return proj;
}

async function renderLayer() {
  if (!state.model || state.busy) return;
  state.busy = true;
  clearError();
  try {
    const size = map.getSize();
    const cols = Number($('resolution').value);
    const rows = Math.max(2, Math.round((cols * size.y) / size.x));
    const points = new Float64Array(cols * rows * 2);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const ll = map.containerPointToLatLng([((c + 0.5) * size.x) / cols, ((r + 0.5) * size.y) / rows]);
        const k = (r * cols + c) * 2;
        points[k] = ((((ll.lng + 180) % 360) + 360) % 360) - 180;
        points[k + 1] = Math.max(-90, Math.min(90, ll.lat));
      }
    }
    const t0 = performance.now();
    const model = variant();
    const v = await state.model.embed(points, {
      model, beta: beta(), batchSize: 256,
      onProgress: ({ done, total }) => progress(`embedding the view: ${done} / ${total} points`),
    });
    const d = v.length / (cols * rows);
    progress('fitting PCA…');
    const p = await pca3(v, cols * rows, d);
    const lo = [0, 1, 2].map((k) => Math.min(...p.filter((_, i) => i % 3 === k)));
    const hi = [0, 1, 2].map((k) => Math.max(...p.filter((_, i) => i % 3 === k)));
    const canvas = document.createElement('canvas');
    canvas.width = cols; canvas.height = rows;
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(cols, rows);
    for (let i = 0; i < cols * rows; i++) {
      for (let k = 0; k < 3; k++) img.data[i * 4 + k] = (255 * (p[i * 3 + k] - lo[k])) / (hi[k] - lo[k] || 1);
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    state.layer?.remove();
    state.layer = L.imageOverlay(canvas.toDataURL(), map.getBounds(), { opacity: 0.85, className: 'embedding-layer', pane: 'embedding' }).addTo(map);
    demo.layerCanvas = canvas;
    demo.layerDone++;
    progress(`view: ${cols}×${rows} points, ${model}${model === 'range+' ? ` β=${beta()}` : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s on ${state.model.backend}`);
    showBackend();
  } catch (e) { showError(e); } finally { state.busy = false; }
}
$('layer-toggle').addEventListener('click', renderLayer);
$('layer-clear').addEventListener('click', () => { state.layer?.remove(); state.layer = null; });

// ---- offline ------------------------------------------------------------------------------
if ('serviceWorker' in navigator && !new URLSearchParams(location.search).has('nosw')) {
  // The worker precaches the one wasm module of the package's two that this browser runs.
  const wasm = new URL(wasmModuleUrl()).pathname.split('/').pop();
  navigator.serviceWorker.register(`sw.js?wasm=${encodeURIComponent(wasm)}`).catch((e) => console.warn('service worker:', e));
}

pickModel();
