// Tiles for map layers: the global pyramid that map libraries draw raster tiles on, each tile
// a fixed grid of cells (a cell is the same point whatever the view, the window's size or
// position), the order in which a tile's cells are embedded (coarse first: a first picture at
// once, sharpened as the rest arrive), and a bounded cache of computed tiles.
//
// Pyramids: 'mercator' is Web Mercator's XYZ scheme (z 0 is one tile of the whole square
// world, y counted from the north), as MapLibre, Leaflet, OpenLayers and deck.gl request
// tiles; 'lonlat' is EPSG:4326's (z 0 is two tiles side by side, each 180° square).

import { invalid } from '../errors.js';
import { variantOf } from '../options.js';
import { checkProjection, makeGrid, mercatorLat, mercatorY, normaliseBounds } from './grid.js';

/** Cells a tile side by default: a 256-pixel tile in 8-pixel cells. */
export const TILE_CELLS = 32;
/** The deepest zoom a tile may have (cells there are centimetres wide). */
export const MAX_ZOOM = 30;

/** How many tiles the pyramid has across and down at zoom `z`. */
export function tilesAt(z, projection = 'mercator') {
  const n = 2 ** z;
  return projection === 'lonlat' ? [2 * n, n] : [n, n];
}

/** Throws `invalid_argument` unless `tile` is `{ z, x, y }` of the pyramid. */
function checkTile(tile, projection) {
  checkProjection(projection);
  const { z, x, y } = tile ?? {};
  if (!Number.isInteger(z) || z < 0 || z > MAX_ZOOM) throw invalid(`layers: a tile's zoom must be an integer from 0 to ${MAX_ZOOM}, got ${z}`);
  const [across, down] = tilesAt(z, projection);
  if (!Number.isInteger(x) || x < 0 || x >= across || !Number.isInteger(y) || y < 0 || y >= down) {
    throw invalid(`layers: tile ${z}/${x}/${y} is not on the ${projection} pyramid (x below ${across}, y below ${down})`);
  }
}

/** A tile's `[west, south, east, north]` in degrees. */
export function tileBounds(tile, projection = 'mercator') {
  checkTile(tile, projection);
  const { z, x, y } = tile;
  if (projection === 'lonlat') {
    const side = 180 / 2 ** z;
    return [-180 + x * side, 90 - (y + 1) * side, -180 + (x + 1) * side, 90 - y * side];
  }
  const n = 2 ** z;
  const lat = (row) => mercatorLat(Math.PI * (1 - (2 * row) / n));
  return [(x / n) * 360 - 180, lat(y + 1), ((x + 1) / n) * 360 - 180, lat(y)];
}

/**
 * The grid of `tile`: `cells` × `cells` cells over its bounds (rows evenly spaced in the
 * pyramid's own y), with `tile` and the fields of `makeGrid`.
 */
export function tileGrid(tile, { cells = TILE_CELLS, projection = 'mercator' } = {}) {
  const grid = makeGrid({ bounds: tileBounds(tile, projection), cols: cells, rows: cells, projection });
  return { ...grid, tile: { z: tile.z, x: tile.x, y: tile.y } };
}

/** Block sizes from coarse to fine: powers of two from one block over all `n` down to 1. */
export function steps(n) {
  const out = [];
  for (let s = 2 ** Math.ceil(Math.log2(n)); s >= 1; s /= 2) out.push(s);
  return out;
}

/** The cell standing for the block starting at `start` of size `step` (its middle, inside `n`). */
export const middle = (start, step, n) => start + Math.floor(Math.min(step, n - start) / 2);

/**
 * The order in which to embed a `cols` × `rows` grid's cells: first one cell per large
 * block (its middle), then per block half as wide, down to every cell; each cell once. An
 * embedding stopped after any prefix of this order still covers the grid, each cell shown
 * as the nearest embedded one ([`sourceCells`]); no cell is embedded twice.
 */
export function coarseToFine(cols, rows) {
  const seen = new Uint8Array(cols * rows);
  const order = new Uint32Array(cols * rows);
  let k = 0;
  for (const s of steps(Math.max(cols, rows))) {
    for (let r0 = 0; r0 < rows; r0 += s) {
      for (let c0 = 0; c0 < cols; c0 += s) {
        const i = middle(r0, s, rows) * cols + middle(c0, s, cols);
        if (!seen[i]) { seen[i] = 1; order[k++] = i; }
      }
    }
  }
  return order;
}

/**
 * For each cell of a `cols` × `rows` grid, the embedded cell to show in its place: itself
 * when `embedded[i]`, else the middle of the finest block around it whose middle is
 * embedded; −1 when none is. `embedded` is one byte per cell.
 */
export function sourceCells(cols, rows, embedded) {
  const levels = steps(Math.max(cols, rows)).reverse();
  const out = new Int32Array(cols * rows).fill(-1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (const s of levels) {
        const i = middle(r - (r % s), s, rows) * cols + middle(c - (c % s), s, cols);
        if (embedded[i]) { out[r * cols + c] = i; break; }
      }
    }
  }
  return out;
}

/**
 * `embeddings` (`cells × dim`) with each cell's row copied from its `source` cell's (a picture
 * of a partly embedded grid, every cell filled in).
 */
function filledFrom(embeddings, dim, source) {
  const out = new Float32Array(embeddings.length);
  source.forEach((from, cell) => {
    if (from >= 0) out.set(embeddings.subarray(from * dim, (from + 1) * dim), cell * dim);
  });
  return out;
}

/**
 * Embeds `tile`'s cells with `model` (a loaded GeoRange), coarse first, in stages of 1, 4, 16,
 * 64 … cells (one per block, blocks halving: [`coarseToFine`]): after each, `onStage(grid)`
 * gets the tile's grid with every cell filled in, cells not yet embedded showing the nearest
 * embedded one, and `embedded` (how many cells are their own); the last stage is the whole
 * tile, which it resolves to. Each cell is embedded once. `signal` cancels between batches
 * (rejects with `code` `'aborted'`).
 * @returns {Promise<import('./index.js').Grid & { tile: object, embedded: number }>}
 */
export async function embedTile(model, tile, options = {}) {
  const { cells = TILE_CELLS, projection = 'mercator', beta, batchSize, signal, onStage, compute } = options;
  const variant = variantOf(options, undefined, 'embedTile');
  const grid = tileGrid(tile, { cells, projection });
  const n = cells * cells;
  const order = coarseToFine(cells, cells);
  const embedded = new Uint8Array(n);
  let embeddings = null;
  let dim = 0;
  for (let start = 0, end = 1; start < n; start = end, end = Math.min(n, end * 4)) {
    const stage = order.subarray(start, end);
    const points = new Float64Array(2 * stage.length);
    stage.forEach((cell, j) => points.set(grid.points.subarray(2 * cell, 2 * cell + 2), 2 * j));
    const out = await model.embed(points, { variant, beta, batchSize, signal, compute });
    dim ||= out.length / stage.length;
    embeddings ??= new Float32Array(n * dim);
    stage.forEach((cell, j) => {
      embeddings.set(out.subarray(j * dim, (j + 1) * dim), cell * dim);
      embedded[cell] = 1;
    });
    const whole = end === n;
    const picture = whole ? embeddings : filledFrom(embeddings, dim, sourceCells(cells, cells, embedded));
    onStage?.({ ...grid, embeddings: picture, dim, embedded: end });
  }
  return { ...grid, embeddings, dim, embedded: n };
}

/**
 * A cache of computed tiles, least recently used dropped first, holding at most `maxBytes`
 * (default 64 MiB) as each entry's `size` counts it. Keys are strings ([`tileKey`]).
 */
export function tileCache({ maxBytes = 64 * 2 ** 20 } = {}) {
  if (!(maxBytes > 0)) throw invalid(`layers: a tile cache needs maxBytes > 0, got ${maxBytes}`);
  const entries = new Map(); // insertion order is use order: the first is the least recent
  let bytes = 0;
  const drop = (key) => { bytes -= entries.get(key).bytes; entries.delete(key); };
  return {
    /** The value under `key` (now the most recently used), or undefined. */
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    /** Keeps `value` (`size` bytes) under `key`, dropping the least recently used past the bound;
     * a value larger than the bound is not kept. */
    set(key, value, size) {
      if (entries.has(key)) drop(key);
      if (!(size >= 0) || size > maxBytes) return;
      entries.set(key, { value, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        drop(oldest);
      }
    },
    has: (key) => entries.has(key),
    clear() { entries.clear(); bytes = 0; },
    get size() { return entries.size; },
    get bytes() { return bytes; },
    maxBytes,
  };
}

/**
 * The cache key of a tile under `settings`: everything its embeddings depend on but the model
 * (a cache serves one model; a layer given another clears it).
 */
export function tileKey({ variant, beta, projection = 'mercator', cells = TILE_CELLS, compute = 'exact' }, tile) {
  return [variant, beta ?? '', compute, projection, cells, tile.z, tile.x, tile.y].join('|');
}

/**
 * The tiles at zoom `z` that a view over `bounds` (`[west, south, east, north]`, east past
 * west, as `normaliseBounds` gives it) shows, nearest its centre first; x wrapped into the
 * pyramid (a view across the antimeridian lists tiles from both ends).
 */
export function tilesCovering(bounds, z, projection = 'mercator') {
  checkTile({ z, x: 0, y: 0 }, projection);
  const [west, south, east, north] = normaliseBounds(bounds, projection);
  const [across, down] = tilesAt(z, projection);
  const tx = (lon) => ((lon + 180) / 360) * across;
  const ty = projection === 'lonlat'
    ? (lat) => ((90 - lat) / 180) * down
    : (lat) => ((1 - mercatorY(lat) / Math.PI) / 2) * down;
  const clampY = (t) => Math.max(0, Math.min(down - 1, t));
  const [x0, x1] = [Math.floor(tx(west)), Math.ceil(tx(east)) - 1];
  const [y0, y1] = [clampY(Math.floor(ty(north))), clampY(Math.ceil(ty(south)) - 1)];
  const [cx, cy] = [(tx(west) + tx(east)) / 2, (ty(north) + ty(south)) / 2];
  const out = new Map();
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= Math.min(x1, x0 + across - 1); x++) {
      const tile = { z, x: ((x % across) + across) % across, y };
      const far = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      const key = `${tile.x}/${y}`;
      if (!out.has(key) || out.get(key).far > far) out.set(key, { tile, far });
    }
  }
  return [...out.values()].sort((a, b) => a.far - b.far).map((t) => t.tile);
}
