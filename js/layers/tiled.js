// A tiled layer without a map: the adapters' common part when a map library draws raster tiles.
// The adapter says what the map shows (`view()`: its bounds and the tile zoom it draws, read
// on each `auto()`, `refresh()` and `update()`) and asks for tiles (`request`); the layer embeds the view's tiles coarse first, across all of
// them at once (every tile's first cell, then every tile's first four …), so the whole view
// has a picture within the first few hundred points and then sharpens. Tiles are kept in a
// bounded cache: a pan embeds only the tiles that came into view, panning back embeds nothing.
// Colours are the same across tiles: a PCA basis fitted once (on the first view's first cells,
// or on the whole world, or given) and kept until `refit()` or a change of what is embedded.

import { withVariant } from '../options.js';
import { aborted, invalid } from '../errors.js';
import { fitPca } from './pca.js';
import { normaliseBounds } from './grid.js';
import { worldBasis, toImage } from './index.js';
import { tileCache, tileKey, tilesCovering, tileBounds } from './tiles.js';
import { entryBytes, wantedCells, newEntry, nextCells, nextStage, paint, pcaScale, probeScale, sampleRows, similarityScale, store } from './tile_store.js';

/** Default cache bound: 128 MiB, about 160 tiles of 32 × 32 cells of 788-d rows (int8). */
const CACHE_BYTES = 128 * 2 ** 20;
/** The stage every tile of the view reaches before the colours are fitted (its first four cells). */
const FIT_STAGE = 2;

/**
 * @param {import('./index.js').TiledLayerOptions & {
 *   geoRange: import('../georange.js').GeoRange,
 *   view: () => { bounds: number[], z: number } | null,
 *   tileSize?: number, projection?: 'mercator'|'lonlat',
 *   onPicture?: (tile: object, picture: object) => void,
 *   reload?: () => void, settled?: () => void, detach?: () => void }} options
 *   `onPicture`: a tile's picture changed; `reload`: every tile changed (the adapter asks again);
 *   `settled`: the view is whole (an adapter that batches redraws draws now).
 */
export function tiledLayer({ geoRange, view: mapView, tileSize = 256, projection = 'mercator', onPicture = () => {}, reload = () => {}, settled = () => {}, detach = () => {}, cache, ...options }) {
  const settings = { mode: 'pca', basis: 'view', cellSize: 8, batchSize: 256, compute: 'exact', ...withVariant(options, 'tiledLayer') };
  Object.assign(settings, probeEmbedding(settings));
  const tiles = cache ?? tileCache({ maxBytes: settings.cacheBytes ?? CACHE_BYTES });
  const stats = { points: 0, batches: 0 };
  let view = null; // { bounds, z, keys: Map key → tile }
  let scale = null;
  let running = false;
  let waiters = []; // refresh()/update() promises: resolved when the view is whole
  const pending = new Map(); // key → Set of { resolve, reject } (library requests)
  const live = new Map(); // key → entry, for the tiles of the view and the pending requests

  const cells = () => Math.max(1, Math.min(256, Math.round(tileSize / settings.cellSize)));
  const keyOf = (tile) => tileKey({ ...settings, projection, cells: cells() }, tile);

  /** The entry of `tile` under the current settings: kept, cached, or new. */
  function entryOf(tile) {
    const key = keyOf(tile);
    let entry = live.get(key) ?? tiles.get(key);
    if (!entry) entry = newEntry(tile, { cells: cells(), projection });
    live.set(key, entry);
    return [key, entry];
  }

  /** Tiles to embed, each with the cells the view shows (null: all): the view's tiles
   * (nearest the centre first), then the tiles requested elsewhere. */
  function wanted() {
    const out = new Map();
    for (const tile of view?.keys.values() ?? []) {
      const [key, entry] = entryOf(tile);
      out.set(key, { entry, cells: shownCells(entry, view.bounds) });
    }
    for (const key of pending.keys()) if (!out.has(key) && live.has(key)) out.set(key, { entry: live.get(key), cells: null });
    return out;
  }

  /** The next batch: the cells of the lowest stage any wanted tile is at, across tiles. */
  function nextBatch(entries) {
    const open = [...entries].map(([key, w]) => ({ key, ...w, stage: nextStage(w.entry, w.cells) })).filter((w) => w.stage < Infinity);
    if (!open.length) return null;
    const level = Math.min(...open.map((w) => w.stage));
    const parts = [];
    let room = settings.batchSize;
    for (const w of open) {
      if (w.stage !== level || room <= 0) continue;
      const take = nextCells(w.entry, w.cells, level, room);
      parts.push({ key: w.key, entry: w.entry, cells: take });
      room -= take.length;
    }
    return parts;
  }

  /** Fits the colour scale on what the view's tiles have, once each has its first cells. */
  async function ensureScale(entries) {
    if (scale) return true;
    if ([...entries.values()].some((w) => nextStage(w.entry, w.cells) < FIT_STAGE)) return false;
    const list = [...entries.values()].map((w) => w.entry);
    if (settings.mode === 'probe') return probeRange(list);
    const similar = settings.mode === 'similarity' && settings.reference;
    if (!similar && settings.basis === 'world') {
      scale = pcaScale(await worldBasis(geoRange, { variant: settings.variant, beta: settings.beta }));
      return true;
    }
    if (!similar && settings.basis && typeof settings.basis === 'object') {
      scale = pcaScale(settings.basis);
      return true;
    }
    const { rows, dim, count } = sampleRows(list.filter((e) => e.done));
    if (!count) return false;
    if (!similar) {
      scale = pcaScale(fitPca(rows, dim));
      return true;
    }
    const probe = similarityScale(settings.reference, { min: 0, max: 1 });
    const scores = list.flatMap((e) => Array.from(e.sequence.subarray(0, e.done), (cell) => probe.score(e, cell)));
    scale = similarityScale(settings.reference, { min: settings.min ?? Math.min(...scores), max: settings.max ?? Math.max(...scores), ramp: settings.ramp });
    return true;
  }

  /** The probe's scale; a ramp's range from the view's cells unless `min`/`max` are given. */
  function probeRange(list) {
    const { probe, probeClass, ramp } = settings;
    const ramped = probe.givesValues || probeClass !== undefined;
    // A probability (a class's, or a similarity probe's `like`) keeps 0–1 in every view.
    const probability = probeClass !== undefined || (probe.kind === 'similar' && probe.method !== 'centroid');
    if (!ramped || probability || (settings.min !== undefined && settings.max !== undefined)) {
      scale = probeScale(probe, { probeClass, ramp, min: settings.min ?? 0, max: settings.max ?? 1 });
      return true;
    }
    const probeOnly = probeScale(probe, { probeClass, ramp });
    const values = list.flatMap((e) => Array.from(e.sequence.subarray(0, e.done), (cell) => probeOnly.score(e, cell)));
    scale = probeScale(probe, { probeClass, ramp, min: settings.min ?? Math.min(...values), max: settings.max ?? Math.max(...values) });
    return true;
  }

  /** Answers every refresh waiting for the view with `value` (null: the view or settings changed). */
  function answerWaiters(value) {
    for (const w of waiters) w.resolve(value);
    waiters = [];
  }

  /** Paints `key`'s entry, keeps it in the cache, tells the adapter and the requests. */
  function show(key, entry) {
    const picture = paint(entry, scale);
    tiles.set(key, entry, entryBytes(entry));
    onPicture(entry.tile, picture);
    for (const w of pending.get(key) ?? []) w.resolve(picture);
    pending.delete(key);
  }

  async function run() {
    running = true;
    try {
      for (;;) {
        const entries = wanted();
        const hadScale = Boolean(scale);
        if (await ensureScale(entries) && !hadScale) for (const [key, e] of live) if (e.done) show(key, e);
        const batch = nextBatch(entries);
        if (!batch) break;
        const points = new Float64Array(2 * batch.reduce((s, p) => s + p.cells.length, 0));
        let at = 0;
        for (const { entry, cells: c } of batch) for (const cell of c) { points.set(entry.grid.points.subarray(2 * cell, 2 * cell + 2), at); at += 2; }
        const out = await geoRange.embed(points, { variant: settings.variant, beta: settings.beta, compute: settings.compute, batchSize: points.length / 2 });
        const dim = out.length / (points.length / 2);
        let row = 0;
        for (const { key, entry, cells: c } of batch) {
          store(entry, c, out.subarray(row * dim, (row + c.length) * dim), dim);
          row += c.length;
          if (scale) show(key, entry); // which keeps it in the cache
          else tiles.set(key, entry, entryBytes(entry));
        }
        stats.points += points.length / 2;
        stats.batches += 1;
        settings.onProgress?.(progress());
      }
    } catch (e) {
      // The view cannot be whole: whoever waits for it or for a tile gets the error.
      for (const set of pending.values()) for (const w of set) w.reject(e);
      pending.clear();
      for (const w of waiters) w.reject(e);
      waiters = [];
      if (settings.onError) settings.onError(e);
      else console.error('georange layer:', e);
    } finally {
      running = false;
    }
    settle();
  }

  /** How far the view is: its cells embedded, of those it shows. */
  function progress() {
    let [done, total] = [0, 0];
    for (const [key, tile] of view?.keys ?? []) {
      const entry = live.get(key) ?? entryOf(tile)[1];
      const cells = shownCells(entry, view.bounds);
      for (let i = 0; i < entry.n; i++) if (!cells || cells[i]) { total += 1; done += entry.embedded[i]; }
    }
    return { done, total, tiles: view?.keys.size ?? 0 };
  }

  /** When the view is whole: `onRender` and the waiting refreshes get what it shows. */
  function settle() {
    const { done, total } = progress();
    if (!view || done < total || !scale) return;
    const picture = current();
    settled();
    settings.onRender?.(picture);
    answerWaiters(picture);
    // Entries of tiles no longer wanted stay in the cache only.
    for (const key of [...live.keys()]) if (!view.keys.has(key) && !pending.has(key)) live.delete(key);
  }

  function kick() {
    if (!running) run();
  }

  /** The view's tiles as one picture (a mosaic at cell resolution), or null. */
  function current() {
    if (!view || !scale) return null;
    const list = [...view.keys.keys()].map((k) => live.get(k) ?? tiles.get(k)).filter((e) => e?.picture);
    if (!list.length) return null;
    return mosaic(list, { mode: scale.mode, basis: scale.basis, legend: scale.legend, projection });
  }

  /** Settings changed: what was fitted and asked for is stale; the adapter asks again. */
  function restart(reembed) {
    scale = null;
    for (const set of pending.values()) for (const w of set) w.resolve(null);
    pending.clear();
    if (reembed) live.clear();
    answerWaiters(null);
    if (view) view = { ...view, keys: keysOf(view) };
    reload();
  }

  const keysOf = ({ bounds, z }) => new Map(tilesCovering(bounds, z, projection).map((t) => [keyOf(t), t]));

  /** The map shows `bounds` with tiles of zoom `z` now. */
  function setView(now) {
    if (!now) return;
    const keys = keysOf(now);
    const same = view && keys.size === view.keys.size && [...keys.keys()].every((k) => view.keys.has(k));
    if (!same) answerWaiters(null);
    view = { bounds: normaliseBounds(now.bounds, projection), z: now.z, keys };
    kick();
  }

  function whole() {
    setView(mapView());
    return new Promise((resolve, reject) => {
      waiters.push({ resolve, reject });
      if (!running) settle();
    });
  }

  return {
    /** For adapters: the picture of `tile` once it has one (then more as it sharpens, through
     * `onPicture`). Rejects with code `aborted` when `signal` fires first. */
    request(tile, signal) {
      const [key, entry] = entryOf(tile);
      if (scale && entry.picture && entry.scaleId === scale.id) return Promise.resolve(entry.picture);
      return new Promise((resolve, reject) => {
        const w = { resolve, reject };
        if (!pending.has(key)) pending.set(key, new Set());
        pending.get(key).add(w);
        signal?.addEventListener('abort', () => {
          pending.get(key)?.delete(w);
          if (!pending.get(key)?.size) pending.delete(key);
          reject(aborted('layers: a tile no longer wanted', signal));
        }, { once: true });
        kick();
      });
    },
    /** Embeds what the view still lacks; resolves to what it shows once whole, or null when the
     * view or the settings changed first. */
    refresh: whole,
    /** Changes options (`mode`, `reference`, `variant`, `beta`, `cellSize`, `basis`…) and redraws. */
    update(changes) {
      const named = withVariant(changes, 'layer.update');
      Object.assign(named, probeEmbedding({ ...settings, ...named }));
      const reembed = ['variant', 'beta', 'cellSize', 'compute'].some((k) => k in named && named[k] !== settings[k]);
      const recolour = reembed || ['mode', 'reference', 'basis', 'min', 'max', 'ramp', 'probe', 'probeClass'].some((k) => k in named && named[k] !== settings[k]);
      Object.assign(settings, named);
      if (recolour) restart(reembed);
      return whole();
    },
    /** Fits the colours again, on the view as it is now. */
    refit() {
      restart(false);
      return whole();
    },
    /** For map events: reads the view again and embeds what it lacks. */
    auto() { setView(mapView()); },
    /** Stops embedding until the next view or request (what was embedded is kept). */
    cancel() {
      answerWaiters(null);
      view = null;
    },
    /** Stops and takes the layer off the map (the cache is kept only if it was given). */
    remove() {
      view = null;
      restart(true);
      if (!cache) tiles.clear();
      detach();
    },
    /** The view as one picture (its tiles side by side), or null before its first. */
    get current() { return current(); },
    /** Whether the view's tiles are still being embedded. */
    get busy() {
      if (running || !view) return running;
      const { done, total } = progress();
      return done < total;
    },
    /** The tile cache (its `size`, `bytes` and `maxBytes`). */
    cache: tiles,
    /** Points embedded and batches run since the layer was made. */
    stats,
    /** Cells a tile side now. */
    get cells() { return cells(); },
    /** How far `tile` is under the current settings: cells embedded of its `cells`², or null
     * when it has none. */
    tileProgress(tile) {
      const entry = live.get(keyOf(tile)) ?? tiles.get(keyOf(tile));
      return entry ? { embedded: entry.done, cells: entry.n, complete: entry.done === entry.n } : null;
    },
    /** A tile's bounds, for adapters placing pictures themselves. */
    bounds: (tile) => tileBounds(tile, projection),
  };
}

/**
 * The cells of `entry` to embed for a view over `bounds`, one byte each: those it shows, with
 * a margin of a cell and a half (a cell partly in view has its centre outside), and the coarse
 * cells standing for them (`wantedCells`); null when the view shows the whole tile.
 */
function shownCells(entry, bounds) {
  if (entry.shown?.bounds === bounds) return entry.shown.cells;
  const { grid, n, cells } = entry;
  const [w, s, e, nn] = grid.bounds;
  const [mx, my] = [(1.5 * (e - w)) / cells, (1.5 * (nn - s)) / cells];
  const [west, south, east, north] = bounds;
  const mask = new Uint8Array(n);
  let all = true;
  for (let i = 0; i < n; i++) {
    let lon = grid.points[2 * i];
    while (lon < west - mx) lon += 360;
    const lat = grid.points[2 * i + 1];
    mask[i] = lon <= east + mx && lat >= south - my && lat <= north + my ? 1 : 0;
    all &&= mask[i] === 1;
  }
  entry.shown = { bounds, cells: all ? null : wantedCells(entry, mask) };
  return entry.shown.cells;
}

/** The embeddings of `entries` laid out as their mosaic's cells (zero rows where none). */
function mosaicRows(entries, { cells, cols, col, y0 }) {
  const dim = entries[0].dim;
  const rows = (Math.max(...entries.map((e) => e.tile.y)) - y0 + 1) * cells;
  const out = new Float32Array(cols * rows * dim);
  for (const e of entries) {
    for (let i = 0; i < e.n; i++) {
      if (!e.embedded[i]) continue;
      const [r, c] = [Math.floor(i / cells), i % cells];
      const at = ((e.tile.y - y0) * cells + r) * cols + col(e.tile.x) * cells + c;
      for (let k = 0; k < dim; k++) out[at * dim + k] = e.codes[i * dim + k] * e.scales[i];
    }
  }
  return out;
}

/**
 * Tiles of one zoom side by side as one picture: the box they cover and one pixel per cell
 * (transparent where a tile is missing), with what coloured it.
 */
function mosaic(entries, { mode, basis, legend, projection }) {
  const cells = entries[0].cells;
  const xs = entries.map((e) => e.tile.x);
  const ys = entries.map((e) => e.tile.y);
  const z = entries[0].tile.z;
  // Tiles across the antimeridian: count x from the west end of the run.
  const across = projection === 'lonlat' ? 2 * 2 ** z : 2 ** z;
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  let start = sorted[0];
  for (let i = 1; i < sorted.length; i++) if (sorted[i] - sorted[i - 1] > 1) start = sorted[i];
  const col = (x) => (x - start + across) % across;
  const [w, h] = [Math.max(...xs.map(col)) + 1, Math.max(...ys) - Math.min(...ys) + 1];
  const y0 = Math.min(...ys);
  const rgba = new Uint8ClampedArray(w * cells * h * cells * 4);
  const points = new Float64Array(w * cells * h * cells * 2);
  for (const e of entries) {
    const [ox, oy] = [col(e.tile.x) * cells, (e.tile.y - y0) * cells];
    for (let r = 0; r < cells; r++) {
      const to = (oy + r) * w * cells + ox;
      rgba.set(e.picture.image.data.subarray(r * cells * 4, (r + 1) * cells * 4), to * 4);
      points.set(e.grid.points.subarray(r * cells * 2, (r + 1) * cells * 2), to * 2);
    }
  }
  const west = tileBounds({ z, x: start, y: y0 }, projection);
  const east = tileBounds({ z, x: (start + w - 1) % across, y: y0 + h - 1 }, projection);
  const bounds = [west[0], east[1], east[2] + (east[2] <= west[0] ? 360 : 0), west[3]];
  const grid = { bounds, projection, cols: w * cells, rows: h * cells, points, dim: entries[0].dim };
  // The cells' embeddings as kept (int8 rows, dequantised), made when first read.
  let embeddings = null;
  Object.defineProperty(grid, 'embeddings', {
    enumerable: true,
    get() {
      embeddings ??= mosaicRows(entries, { cells, cols: w * cells, col, y0 });
      return embeddings;
    },
  });
  return { grid, mode, image: toImage(rgba, w * cells, h * cells), basis, legend, tiles: entries.map((e) => e.picture) };
}

/** In `mode: 'probe'`, the embeddings the probe reads (its variant and β); else nothing. */
function probeEmbedding({ mode, probe }) {
  if (mode !== 'probe') return {};
  if (typeof probe?.predictEmbeddings !== 'function') throw invalid("a layer in mode 'probe' needs `probe`: a fitted Probe (GeoRange.fitProbe)");
  return { variant: probe.variant, beta: probe.beta };
}
