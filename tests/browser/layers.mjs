// The map layers (georange/layers) on each map library, in headless Chromium: every example
// page of www/examples/ (MapLibre GL JS, Leaflet, OpenLayers, deck.gl) draws its tiled
// embedding layer where it should — the screen pixel at each sampled cell's centre (projected
// by the map library itself) shows that cell's colour blended at the layer's opacity
// (`blendFit`) — a view change mid-embedding stops the old view's tiles and shows the new one,
// panning back embeds nothing, a zoom shows the parent tiles at once, and a screenshot of each
// goes to out/screenshots/examples-*.png for people to look at. Needs build.sh's www/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tools/dev/serve.mjs';
import { assert, launch, results, test } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'out/screenshots');
fs.mkdirSync(shots, { recursive: true });
/**
 * How far each sampled screen pixel is from its cell's colour, blended: the map shows
 * `a · colour + c` per channel (opacity a over the sea; deck.gl's premultiplied canvas
 * composites differently from the others, so a and c are fitted, by least squares over the
 * samples, not assumed). A layer drawn even one cell off leaves large residuals, since every
 * sampled cell differs from its neighbours. Returns the opacity and the worst residual.
 */
function blendFit(cells, got) {
  const want = cells.map((c) => c.want);
  const mean = (rows, ch) => rows.reduce((s, r) => s + r[ch], 0) / rows.length;
  let num = 0;
  let den = 0;
  for (let ch = 0; ch < 3; ch++) {
    const [mw, mg] = [mean(want, ch), mean(got, ch)];
    want.forEach((w, k) => { num += (w[ch] - mw) * (got[k][ch] - mg); den += (w[ch] - mw) ** 2; });
  }
  const a = num / den;
  const c = [0, 1, 2].map((ch) => mean(got, ch) - a * mean(want, ch));
  const residuals = want.map((w, k) => Math.max(...[0, 1, 2].map((ch) => Math.abs(a * w[ch] + c[ch] - got[k][ch]))));
  return { a, worst: Math.max(...residuals), off: residuals.filter((r) => r > 10).length };
}

/** Per example: `project(lon, lat)` → [x, y] in the map container's CSS pixels, and a view
 * change (page side, as source text run with `map` in scope). */
const EXAMPLES = {
  maplibre: {
    project: 'const p = map.project([lon, lat]); return [p.x, p.y];', move: 'map.jumpTo({ center: [c0 + 15, c1 - 10], zoom: 3.5 })', center: 'const c = map.getCenter(); return [c.lng, c.lat];',
    views: { 'antimeridian (Fiji)': 'map.jumpTo({ center: [180, -17], zoom: 4 })' },
  },
  leaflet: {
    project: 'const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y];', move: 'map.setView([c1 - 10, c0 + 15], 4, { animate: false })', center: 'const c = map.getCenter(); return [c.lng, c.lat];',
    views: { 'polar view (Svalbard, the top of the map)': 'map.setView([82, 20], 3, { animate: false })' },
  },
  openlayers: { project: 'return map.getPixelFromCoordinate(ol.proj.fromLonLat([lon, lat]));', move: 'map.getView().setCenter(ol.proj.fromLonLat([c0 + 15, c1 - 10])); map.getView().setZoom(4);', center: 'return ol.proj.toLonLat(map.getView().getCenter());' },
  deckgl: { project: 'return map.getViewports()[0].project([lon, lat]);', move: 'map.setProps({ initialViewState: { longitude: c0 + 15, latitude: c1 - 10, zoom: 4 } })', center: 'const v = map.getViewports()[0]; return [v.longitude, v.latitude];' },
};

/** Waits until the example's layer shows a picture whose bounds contain the map's centre. */
async function layerDrawn(page, ex) {
  await page.waitForFunction((center) => {
    const cur = window.example?.layer?.current;
    if (!cur || window.example.layer.busy) return false;
    let [lon, lat] = new Function('map', center)(window.example.map);
    const [w, s, e, n] = cur.grid.bounds;
    while (lon < w) lon += 360; // bounds are unwrapped across the antimeridian
    return lon > w && lon < e && lat > s && lat < n;
  }, ex.center, { timeout: 240_000, polling: 200 });
  // Two frames for the map to draw what it was given.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(300);
}

/** Cells to sample: a lattice over the grid, where a cell's colour differs from its four
 * neighbours' (so that a layer drawn one cell off would fail). */
async function samples(page, ex) {
  return page.evaluate((project) => {
    const { map, layer } = window.example;
    const { grid, image } = layer.current;
    const at = new Function('map', 'lon', 'lat', project);
    const rect = map.getContainer ? map.getContainer().getBoundingClientRect()
      : (map.getTargetElement?.() ?? document.getElementById('map')).getBoundingClientRect();
    const colour = (i) => Array.from(image.data.subarray(4 * i, 4 * i + 3));
    const out = [];
    for (let r = 2; r < grid.rows - 2; r++) {
      for (let c = 2; c < grid.cols - 2; c++) {
        const i = r * grid.cols + c;
        if (image.data[4 * i + 3] === 0) continue; // a tile the view does not show
        const near = [i - 1, i + 1, i - grid.cols, i + grid.cols].map(colour);
        const own = colour(i);
        if (!near.every((n) => n.reduce((s, v, k) => s + Math.abs(v - own[k]), 0) > 24)) continue;
        // The cell's longitude as the map places it: unwrapped past 180° like the grid's bounds.
        let lon = grid.points[2 * i];
        while (lon < grid.bounds[0]) lon += 360;
        const [x, y] = at(map, lon, grid.points[2 * i + 1]);
        // On screen (the tiles reach past the view's edges) …
        if (!(x > 2 && y > 2 && x < rect.width - 2 && y < rect.height - 2)) continue;
        // … and not under the map's own controls (zoom buttons, attribution).
        if (document.elementFromPoint(rect.left + x, rect.top + y)?.closest('[class*=ctrl], [class*=control]')) continue;
        out.push({ i, x: rect.left + x, y: rect.top + y, want: own });
      }
    }
    // At most 40, spread over the grid.
    return out.filter((_, k) => k % Math.ceil(out.length / 40) === 0);
  }, ex.project);
}

/** The screenshot's pixels at `points` (decoded in the page). */
async function pixelsAt(page, points) {
  const png = (await page.screenshot()).toString('base64');
  return page.evaluate(async ({ png, points }) => {
    const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const scale = bitmap.width / innerWidth;
    return points.map(({ x, y }) => Array.from(ctx.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data.subarray(0, 3)));
  }, { png, points });
}

/** Waits for the layer, saves a screenshot as `shot`, and fits the sampled cells' pixels.
 * `refit`: the colours fitted on this view first (they are kept from the first view
 * otherwise, which may leave too few cells distinct from their neighbours to sample). */
async function drawnLayer(page, ex, shot, { refit = false } = {}) {
  if (refit) await page.evaluate(() => window.example.layer.refit());
  await layerDrawn(page, ex);
  await page.screenshot({ path: path.join(shots, `${shot}.png`) });
  const cells = await samples(page, ex);
  return { cells, fit: blendFit(cells, await pixelsAt(page, cells)) };
}

const server = await serve(path.join(root, 'www'));
const browser = await launch(false);
try {
  for (const [name, ex] of Object.entries(EXAMPLES)) {
    const page = await browser.newPage({ viewport: { width: 640, height: 420 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/examples/${name}.html`);
    // 24-pixel cells (the examples' default is 8): a ninth of the points to embed on 2 cores.
    await page.waitForFunction(() => window.example?.layer, null, { timeout: 240_000 });
    await page.evaluate(() => { window.example.layer.update({ cellSize: 24 }).catch(() => {}); });
    await test(`${name}: the layer appears where it should (sampled cells' colours at their projected centres)`, async () => {
      const { cells, fit } = await drawnLayer(page, ex, `examples-${name}`);
      assert(cells.length >= 10, `only ${cells.length} distinct cells to sample`);
      // Tolerance: 10 levels per channel (PNG is exact; the rest is the maps' blending).
      assert(fit.a > 0.6 && fit.a < 1.05 && !fit.off, `${fit.off} of ${cells.length} cells off by more than 10 (worst ${fit.worst.toFixed(1)}), opacity fitted ${fit.a.toFixed(2)}`);
      assert(!errors.length, `page errors: ${errors}`);
    });
    await test(`${name}: a view change mid-embedding stops the old view's tiles and shows the new view`, async () => {
      const outcome = await page.evaluate(async ({ move, center }) => {
        const { map, layer } = window.example;
        const [c0, c1] = new Function('map', center)(map);
        const cells = (tiles) => tiles.map((t) => layer.tileProgress(t.tile)?.embedded ?? 0);
        new Function('map', 'c0', 'c1', move)(map, c0, c1); // a view not embedded yet
        await new Promise((r) => setTimeout(r, 200));
        const first = layer.refresh();
        await new Promise((r) => setTimeout(r, 300));
        const busy = layer.busy;
        const old = layer.current?.tiles ?? [];
        new Function('map', 'c0', 'c1', move)(map, c0 - 100, c1 - 50); // far away: no tile in common
        await new Promise((r) => setTimeout(r, 200));
        layer.auto();
        const atMove = cells(old);
        const second = await layer.refresh();
        const gained = cells(old).reduce((s, n, k) => s + n - atMove[k], 0);
        return { busy, first: await first, gained, old: old.length, second: Boolean(second) };
      }, ex);
      assert(outcome.busy, 'the first view was already drawn: nothing to stop');
      assert(outcome.first === null, "the stopped view's refresh still resolved to a picture");
      // At most the batch in flight at the move (256 points) lands in the old view's tiles.
      assert(outcome.old > 0 && outcome.gained <= 256, `the old view's ${outcome.old} tiles gained ${outcome.gained} cells after the move`);
      const { cells, fit } = await drawnLayer(page, ex, `examples-${name}-moved`, { refit: true });
      assert(cells.length >= 10 && fit.a > 0.6 && !fit.off, `${fit.off} of ${cells.length} cells off after the move (worst ${fit.worst.toFixed(1)}, opacity ${fit.a.toFixed(2)})`);
    });
    if (name === 'maplibre') {
      await test(`${name}: panning back to a drawn view embeds nothing; zooming in shows the parent tiles at once`, async () => {
        const outcome = await page.evaluate(async () => {
          const { map, layer } = window.example;
          const home = map.getCenter();
          const points = layer.stats.points;
          map.jumpTo({ center: [home.lng + 20, home.lat] });
          await layer.refresh();
          const panned = layer.stats.points - points;
          map.jumpTo({ center: home });
          await new Promise((r) => setTimeout(r, 200));
          await layer.refresh();
          return { panned, back: layer.stats.points - points - panned };
        });
        assert(outcome.panned > 0 && outcome.back === 0, `the pan embedded ${outcome.panned} points, panning back ${outcome.back}`);
        await page.evaluate(() => window.example.map.jumpTo({ zoom: window.example.map.getZoom() + 1 }));
        await page.waitForTimeout(400);
        const busy = await page.evaluate(() => window.example.layer.busy);
        const rect = await page.evaluate(() => [innerWidth, innerHeight]);
        const spots = [[0.3, 0.3], [0.5, 0.5], [0.7, 0.6], [0.4, 0.7]].map(([u, v]) => ({ x: u * rect[0], y: v * rect[1] }));
        const sea = [0xbc, 0xd3, 0xe6];
        const bare = (await pixelsAt(page, spots)).filter((p) => p.every((c, k) => Math.abs(c - sea[k]) <= 3));
        assert(busy && !bare.length, `${bare.length} of ${spots.length} spots show the bare map 0.4 s after a zoom (busy: ${busy})`);
      });
    }
    for (const [label, view] of Object.entries(ex.views ?? {})) {
      await test(`${name}: ${label}`, async () => {
        await page.evaluate((view) => { new Function('map', view)(window.example.map); }, view);
        await page.waitForTimeout(200);
        const { cells, fit } = await drawnLayer(page, ex, `examples-${name}-${label.split(' ')[0]}`, { refit: true });
        const { bounds } = await page.evaluate(() => window.example.layer.current.grid);
        assert(cells.length >= 10 && fit.a > 0.6 && !fit.off, `${fit.off} of ${cells.length} cells off (worst ${fit.worst.toFixed(1)}, opacity ${fit.a.toFixed(2)}), bounds ${bounds}`);
        if (label.startsWith('antimeridian')) assert(bounds[0] < 180 && bounds[2] > 180, `bounds ${bounds} not across 180°`);
        if (label.startsWith('polar')) assert(bounds[3] <= 85.0512 && bounds[3] > 85, `bounds ${bounds} not clamped at Mercator's edge`);
      });
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`layers: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
