// georange/files: files in and out (issue 44). `embedFile` (embed_file.js) embeds a whole file
// of places, streamed. `toGeoTiff` turns what a
// map layer shows (a picture) or what it knows (a grid's embeddings, or per-cell scores) into a
// GeoTIFF that GDAL, QGIS and rasterio open, georeferenced as the grid is; the bytes are the
// core's (src/export/geotiff.rs, through `geoTiff` in src/wasm.rs).
import { geoTiff } from './georange_wasm.js';
import { asGeoRangeError, invalid } from './errors.js';
import { initWasm } from './runtime.js';
import { mercatorExtent } from './layers/grid.js';

export { embedFile } from './embed_file.js';

/** The north-west corner and a pixel's size of `grid`, in its projection's units. */
function georeference({ bounds, projection, cols, rows }) {
  if (!Array.isArray(bounds) && !ArrayBuffer.isView(bounds)) throw invalid('toGeoTiff: the grid has no bounds [west, south, east, north]');
  const [west, south, east, north] = Array.from(bounds, Number);
  if (projection === 'lonlat') return { crs: 'lonlat', geo: [west, north, (east - west) / cols, (north - south) / rows] };
  if (projection === 'mercator') {
    const [x0, ys, x1, yn] = mercatorExtent([west, south, east, north]);
    return { crs: 'mercator', geo: [x0, yn, (x1 - x0) / cols, (yn - ys) / rows] };
  }
  throw invalid(`toGeoTiff: unknown projection ${JSON.stringify(projection)} (mercator or lonlat)`);
}

/** The metadata items: the model (its identity, or a name), variant and β, and the caller's. */
function metadataOf({ model, variant, beta, metadata = {} }) {
  const items = { ...metadata };
  if (model !== undefined) items.model = typeof model === 'string' ? model : model._identity?.() ?? String(model);
  if (variant !== undefined) items.variant = String(variant);
  if (beta !== undefined) items.beta = String(beta);
  return Object.entries(items).flatMap(([k, v]) => [String(k), String(v)]);
}

/** Each cell's chosen `bands` of its `dim` values (all by default), NaN for a cell with none
 * (a row of zeros: not embedded yet). */
function floatBands(values, cells, dim, bands) {
  const pick = bands ? Array.from(bands) : Array.from({ length: dim }, (_, i) => i);
  if (!pick.length || pick.some((b) => !Number.isInteger(b) || b < 0 || b >= dim)) throw invalid(`toGeoTiff: bands must be indices below ${dim}, got ${JSON.stringify(bands)}`);
  const out = new Float32Array(cells * pick.length);
  for (let c = 0; c < cells; c++) {
    const row = values.subarray(c * dim, (c + 1) * dim);
    const empty = row.every((v) => v === 0);
    pick.forEach((b, k) => { out[c * pick.length + k] = empty ? Number.NaN : row[b]; });
  }
  return { floats: out, bands: pick.length };
}

/**
 * A GeoTIFF (resolves to an `ArrayBuffer`) of
 * - a picture (`{ image, grid }`, what a layer's `current` or `onRender` gives): RGBA bytes,
 *   alpha 0 where nothing is drawn;
 * - a grid with its embeddings (`{ grid }` or the grid itself, `grid.embeddings`: cells × dim):
 *   float32 bands, all or the chosen `bands` (indices), NaN (the no-data value) where a cell is
 *   not embedded;
 * - per-cell scores (`{ grid, values }`: cells × k, e.g. a probe's `predictEmbeddings` values):
 *   k float32 bands.
 * Georeferenced as the grid: EPSG:4326 for `projection: 'lonlat'`, EPSG:3857 for `'mercator'`;
 * `model` (a GeoRange or a name), `variant`, `beta` and `metadata` go into its metadata.
 */
export async function toGeoTiff(source, options = {}) {
  const grid = source?.grid ?? source;
  if (!grid || !Number.isInteger(grid.cols) || !Number.isInteger(grid.rows)) throw invalid('toGeoTiff: expected a picture ({ image, grid }), a grid, or { grid, values }');
  const { crs, geo } = georeference(grid);
  const cells = grid.cols * grid.rows;
  const meta = metadataOf({ variant: source.variant, beta: source.beta, ...options });
  await initWasm();
  let bytes;
  try {
    if (source.image) {
      const { width, height, data } = source.image;
      if (width !== grid.cols || height !== grid.rows) throw invalid(`toGeoTiff: a ${width} × ${height} picture of a ${grid.cols} × ${grid.rows} grid`);
      bytes = geoTiff(width, height, 4, Uint8Array.from(data), null, crs, Float64Array.from(geo), null, meta);
    } else {
      const values = source.values ?? grid.embeddings;
      if (!values) throw invalid('toGeoTiff: the grid has no embeddings and no values were given');
      const dim = source.values ? values.length / cells : grid.dim ?? values.length / cells;
      if (!Number.isInteger(dim) || dim < 1) throw invalid(`toGeoTiff: ${values.length} values for ${cells} cells`);
      const { floats, bands } = floatBands(Float32Array.from(values), cells, dim, options.bands);
      bytes = geoTiff(grid.cols, grid.rows, bands, null, floats, crs, Float64Array.from(geo), 'nan', meta);
    }
  } catch (e) {
    throw asGeoRangeError(e);
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
