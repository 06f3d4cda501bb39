// Offline support: every file the page uses is cached on first use and served from the cache
// when the network is gone. Network first, the package's own rule for model files (js/fetch.js,
// `cache: 'revalidate'`): online, every file comes from the server (or is revalidated by the
// package: a 304 passes through), so a new deployment replaces the old one on the next visit.
const CACHE = 'georange-demo-v1';
// The page names the package's wasm module this browser runs (app.js: `wasmModuleUrl()`).
const asked = new URL(location.href).searchParams.get('wasm') ?? '';
const WASM = /^georange_wasm(_relaxed)?_bg\.wasm$/.test(asked) ? asked : 'georange_wasm_bg.wasm';
const PRECACHE = ['./', 'index.html', 'app.js', 'style.css', 'vendor/maplibre-gl/maplibre-gl.mjs',
  'vendor/maplibre-gl/maplibre-gl-worker.mjs', 'vendor/maplibre-gl/maplibre-gl.css', 'vendor/topojson-client.min.js', 'vendor/countries-110m.json', 'pkg/georange.js', 'pkg/errors.js', 'pkg/fetch.js', 'pkg/runtime.js', 'pkg/shards.js', 'pkg/threads.js', 'pkg/georange_worker.js', 'pkg/georange_wasm.js',
  'pkg/options.js', 'pkg/version.js', 'pkg/probe.js', 'pkg/csv.js', 'pkg/geojson.js', 'pkg/files.js', 'pkg/embed_file.js',
  'pkg/layers/index.js', 'pkg/layers/grid.js', 'pkg/layers/pca.js', 'pkg/layers/colour.js', 'pkg/layers/live.js',
  'pkg/layers/tiles.js', 'pkg/layers/tiled.js', 'pkg/layers/tile_store.js',
  'pkg/layers/canvas.js', 'pkg/layers/maplibre.js', `pkg/${WASM}`, 'models/pins.json', 'models/geoclip/encoder.safetensors'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'GET') return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(event.request, response.clone());
      return response;
    } catch (e) {
      const hit = await cache.match(event.request, { ignoreSearch: true });
      if (hit) return hit;
      throw e;
    }
  })());
});
