// georange/layers: embeddings on a map, in any map library. Framework-neutral: a grid over a
// bounding box embedded in batches (cancellable, with progress), coloured by PCA or by
// similarity to a reference, as an ImageData; tiles of the global pyramid embedded coarse
// first and kept in a bounded cache (./tiles.js, ./tiled.js); the adapters (./maplibre.js,
// ./leaflet.js, ./openlayers.js, ./deckgl.js) put those on their map's own tile machinery.

import { invalid } from '../errors.js';
import { variantOf } from '../options.js';
import { makeGrid } from './grid.js';
import { fitPca, pcaColours } from './pca.js';
import { rampColours } from './colour.js';

export { makeGrid, cellAt, normaliseBounds, mercatorExtent, lonLatBounds, wrapLon, MERCATOR_MAX_LAT } from './grid.js';
export { TILE_CELLS, tilesAt, tileBounds, tileGrid, tilesCovering, coarseToFine, sourceCells, embedTile, tileCache, tileKey } from './tiles.js';
export { fitPca } from './pca.js';
export { CLASS_COLOURS, RAMPS, rampColour } from './colour.js';
export { liveLayer } from './live.js';
export { tiledLayer } from './tiled.js';
export { toCanvas, toDataUrl, toPngBytes } from './canvas.js';

/**
 * Embeds a grid over `bounds` with `model` (a loaded GeoRange): see `GridOptions` in
 * index.d.ts. Rejects with `code` `'aborted'` when `signal` fires (between batches).
 * @returns {Promise<import('./index.js').Grid>}
 */
export async function embedGrid(model, options = {}) {
  const { bounds, size, cellSize, cols, rows, projection = 'mercator', beta, batchSize = 256, signal, onProgress, compute } = options;
  const variant = variantOf(options, undefined, 'embedGrid');
  const grid = makeGrid({ bounds, size, cellSize, cols, rows, projection });
  const embeddings = await model.embed(grid.points, { variant, beta, batchSize, signal, onProgress, compute });
  return { ...grid, embeddings, dim: embeddings.length / (grid.cols * grid.rows) };
}

/** RGBA bytes as an `ImageData` (or, where there is none, e.g. Node.js, the same fields). */
export function toImage(rgba, width, height) {
  return typeof ImageData !== 'undefined' ? new ImageData(rgba, width, height) : { data: rgba, width, height, colorSpace: 'srgb' };
}

/**
 * The grid coloured by its first three principal components. Without `basis` one is fitted
 * on this grid; pass a basis back (from an earlier result, or `worldBasis`) to colour every
 * grid alike.
 */
export function pcaImage(grid, { basis } = {}) {
  const fitted = basis ?? fitPca(grid.embeddings, grid.dim);
  if (fitted.dim !== grid.dim) throw invalid(`layers: a PCA basis of width ${fitted.dim} cannot colour embeddings of width ${grid.dim}`);
  return { image: toImage(pcaColours(grid.embeddings, fitted), grid.cols, grid.rows), basis: fitted };
}

/**
 * A PCA basis for the whole world under `options.variant`/`beta`: fitted on a coarse lon/lat grid
 * (`cols` × `rows`, default 72 × 36), for colours that stay put as the view moves.
 */
export async function worldBasis(model, { cols = 72, rows = 36, ...options } = {}) {
  const grid = await embedGrid(model, { ...options, bounds: [-180, -90, 180, 90], cols, rows, projection: 'lonlat' });
  return fitPca(grid.embeddings, grid.dim);
}

/** Cosine similarity of each row of `embeddings` (`rows × reference.length`) with `reference`. */
export function cosineScores(embeddings, reference) {
  const dim = reference.length;
  const rn = Math.hypot(...reference) || 1;
  const out = new Float32Array(embeddings.length / dim);
  for (let i = 0; i < out.length; i++) {
    let dot = 0;
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      const x = embeddings[i * dim + j];
      dot += x * reference[j];
      sq += x * x;
    }
    out[i] = sq ? dot / (Math.sqrt(sq) * rn) : 0;
  }
  return out;
}

/** The mean of `rows × dim` embeddings (several clicked points as one reference). */
export function meanEmbedding(embeddings, dim) {
  const n = embeddings.length / dim;
  const out = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[j] += embeddings[i * dim + j] / n;
  return out;
}

/**
 * The grid coloured by each cell's cosine similarity to `reference` (an embedding as wide as
 * the grid's: a clicked point's, or `meanEmbedding` of several) on a colour ramp from `min`
 * to `max` (default: the grid's own lowest and highest), with the legend's values.
 */
export function similarityImage(grid, reference, { min, max, ramp = 'viridis' } = {}) {
  if (!reference || reference.length !== grid.dim) throw invalid(`layers: the reference must be an embedding of width ${grid.dim} (the grid's), got ${reference?.length}`);
  const scores = cosineScores(grid.embeddings, reference);
  let [lo, hi] = [Infinity, -Infinity];
  for (const s of scores) { lo = Math.min(lo, s); hi = Math.max(hi, s); }
  const { rgba, legend } = rampColours(scores, { min: min ?? lo, max: max ?? hi, ramp });
  return { image: toImage(rgba, grid.cols, grid.rows), scores, legend };
}
