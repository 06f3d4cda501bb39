// How fast a map layer is as a user meets it: www/examples/maplibre.html (the demo's model,
// RANGE+ β = 0.5) in headless Chromium on the CPU path, the tiled layer (today's adapters) and
// the view-sized layer (`tiles: false`, what the adapters drew before) in the same run. Prints
// the Markdown table of BENCHMARKS.md's "Map layers".
//
//   node tools/bench/bench_map_layers.mjs [--only laptop16,laptop8,phone16] [--compute int8,exact]
//
// `--compute`: the tiled layer in each of these arithmetics (its `compute`; default int8, the
// layers' default), one column each; the view-sized layer takes the first.
//
// Per layer and case, a fresh page (nothing cached): "first picture" is the time from asking
// until every tile of the view shows something (the view-sized layer shows nothing until it is
// whole), "whole" until every cell of the view is embedded; then, on the laptop at 16 px: a pan
// by half a view, panning back, and a zoom in by one level. Needs ./build.sh first (www/).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../dev/serve.mjs';
import { launch } from '../../tests/browser/lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CASES = {
  laptop16: { viewport: { width: 1280, height: 800 }, cellSize: 16, moves: true },
  laptop8: { viewport: { width: 1280, height: 800 }, cellSize: 8 },
  phone16: { viewport: { width: 390, height: 844 }, cellSize: 16 },
};

/** In the page: the layer made afresh (`tiles` or not), and timings of what the case asks. */
async function measure(page, { cellSize, moves, tiles, compute }) {
  return page.evaluate(async ({ cellSize, moves, tiles, compute }) => {
    const { map, model } = window.example;
    window.example.layer.remove();
    const maplibregl = await import('../vendor/maplibre-gl/maplibre-gl.mjs');
    const { maplibreLayer } = await import('../pkg/layers/maplibre.js');
    const settle = () => new Promise((r) => setTimeout(r, 50));
    let points = 0;
    let viewTiles = Infinity;
    const layer = maplibreLayer(map, model, {
      maplibregl, tiles, variant: 'range+', beta: 0.5, cellSize, follow: false, compute,
      onProgress: ({ done, total, tiles: count }) => {
        if (tiles) viewTiles = count;
        else if (done === total) points += total;
      },
    });
    const embedded = () => (tiles ? layer.stats.points : points);
    /** Times until the first picture covers the view and until it is whole. */
    async function draw(change) {
      const t0 = performance.now();
      const before = embedded();
      viewTiles = Infinity;
      change();
      await settle();
      let first = null;
      const poll = setInterval(() => {
        const cur = layer.current;
        if (first === null && tiles && cur && cur.tiles.length >= viewTiles && cur.tiles.every((t) => t.embedded > 0)) first = performance.now() - t0;
      }, 20);
      await layer.refresh();
      clearInterval(poll);
      const whole = performance.now() - t0;
      return { first: first ?? whole, whole, points: embedded() - before, stats: tiles ? { ...layer.stats } : null };
    }
    const out = { view: await draw(() => {}) };
    if (moves) {
      const { width } = map.getCanvas().getBoundingClientRect();
      out.pan = await draw(() => map.panBy([width / 2, 0], { animate: false }));
      out.back = await draw(() => map.panBy([-width / 2, 0], { animate: false }));
      out.zoom = await draw(() => map.jumpTo({ zoom: map.getZoom() + 1 }));
    }
    layer.remove();
    return out;
  }, { cellSize, moves, tiles, compute });
}

const only = arg('only', Object.keys(CASES).join(',')).split(',');
const computes = arg('compute', 'int8').split(',');
const server = await serve(path.join(root, 'www'));
const browser = await launch(false);
const rows = [];
try {
  for (const name of only) {
    const c = CASES[name];
    const runs = [...(process.env.ONLY_TILES ? [] : [[false, computes[0]]]), ...computes.map((c) => [true, c])];
    for (const [tiles, compute] of runs) {
      const page = await browser.newPage({ viewport: c.viewport });
      await page.goto(`${server.url}/examples/maplibre.html`);
      await page.waitForFunction(() => window.example?.layer, null, { timeout: 120_000 });
      const r = await measure(page, { ...c, tiles, compute });
      console.error(name, tiles ? 'tiles' : 'view', compute, JSON.stringify(r));
      rows.push({ name, tiles, compute, ...r });
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const s = (ms) => (ms / 1000).toFixed(1) + ' s';
const label = { laptop16: 'laptop 1280 × 800, 16 px', laptop8: 'laptop 1280 × 800, 8 px', phone16: 'phone 390 × 844, 16 px' };
const head = computes.map((c) => `tiles, ${c}: first picture | tiles, ${c}: whole (points) | ${c} / before`);
console.log(`| view | before: view-sized layer, ${computes[0]}, whole (points) | ${head.join(' | ')} |`);
console.log(`|---|---|${computes.map(() => '---|---|---|').join('')}`);
for (const name of only) {
  const before = rows.find((r) => r.name === name && !r.tiles);
  const afters = computes.map((c) => rows.find((r) => r.name === name && r.tiles && r.compute === c));
  const line = (what, pick) => {
    const b = before && pick(before);
    const cells = afters.map((r) => pick(r)).map((a) => `${s(a.first)} | ${s(a.whole)} (${a.points}) | ${b ? (a.whole / b.whole).toFixed(2) : '–'}`);
    console.log(`| ${what} | ${b ? `${s(b.whole)} (${b.points})` : '–'} | ${cells.join(' | ')} |`);
  };
  line(label[name], (r) => r.view);
  if (afters[0].pan) {
    line('… then a pan by half a view', (r) => r.pan);
    line('… then panning back', (r) => r.back);
    line('… then zoom in one level', (r) => r.zoom);
  }
}
