// Grid maths for map layers: a bounding box cut into cells, in Web Mercator (rows evenly
// spaced in Mercator y, as MapLibre, Leaflet, OpenLayers and deck.gl draw an image) or in
// plain longitude/latitude (rows evenly spaced in latitude, for EPSG:4326 maps). Longitudes
// are kept unwrapped for placing the image (a view across the antimeridian runs e.g. from
// 170° to 190°) and wrapped into [−180, 180) for embedding; latitudes are clamped to what the
// projection can show (±85.05° in Mercator, ±90° in lon/lat).

import { invalid } from '../errors.js';

/** The latitude Web Mercator reaches (its square world). */
export const MERCATOR_MAX_LAT = 85.0511287798066;
/** The Earth's radius in EPSG:3857, metres. */
export const MERCATOR_RADIUS = 6378137;
const RAD = Math.PI / 180;

/** A longitude in [−180, 180). */
export const wrapLon = (lon) => ((((lon + 180) % 360) + 360) % 360) - 180;
/** Web Mercator y (unit sphere) of a latitude in degrees. */
export const mercatorY = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * RAD) / 2));
/** The latitude of Web Mercator y (unit sphere). */
export const mercatorLat = (y) => (2 * Math.atan(Math.exp(y)) - Math.PI / 2) / RAD;

/** Throws `invalid_argument` unless `projection` is one a grid can have. */
export function checkProjection(projection) {
  if (!['mercator', 'lonlat'].includes(projection)) throw invalid(`layers: unknown projection ${projection} (mercator or lonlat)`);
}

/**
 * `[west, south, east, north]` as a grid covers it: `east` past `west` (a box across the
 * antimeridian, west > east, gets east + 360), at most 360° wide, latitudes clamped to the
 * projection's. Throws `invalid_argument` on a non-finite or empty box.
 */
export function normaliseBounds(bounds, projection = 'mercator') {
  if (!Array.isArray(bounds) && !ArrayBuffer.isView(bounds)) throw invalid('layers: `bounds` must be [west, south, east, north]');
  let [west, south, east, north] = Array.from(bounds, Number);
  if (![west, south, east, north].every(Number.isFinite)) throw invalid(`layers: bounds must be finite numbers, got [${bounds}]`);
  checkProjection(projection);
  if (east < west) east += 360;
  if (east - west > 360) {
    const mid = (east + west) / 2;
    [west, east] = [mid - 180, mid + 180];
  }
  const limit = projection === 'mercator' ? MERCATOR_MAX_LAT : 90;
  south = Math.max(-limit, Math.min(limit, south));
  north = Math.max(-limit, Math.min(limit, north));
  if (!(east > west) || !(north > south)) throw invalid(`layers: the box [${bounds}] is empty`);
  return [west, south, east, north];
}

/** How many cells: `cols`/`rows` as given, else the view's pixel `size` over `cellSize` px. */
export function gridShape({ size, cellSize = 8, cols, rows }) {
  const [width, height] = size ?? [];
  const count = (given, px) => {
    const n = given ?? Math.round(px / cellSize);
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw invalid(`layers: a grid needs 1 to 4096 cells a side (cols/rows, or size/cellSize), got ${n}`);
    return n;
  };
  return { cols: count(cols, width), rows: count(rows, height) };
}

/**
 * The grid over `bounds`: `points` holds each cell's centre as `[lon, lat]` (longitude wrapped
 * into [−180, 180)), row by row from the north-west corner.
 */
export function makeGrid({ bounds, projection = 'mercator', ...shape }) {
  const box = normaliseBounds(bounds, projection);
  const { cols, rows } = gridShape(shape);
  const [west, south, east, north] = box;
  const points = new Float64Array(cols * rows * 2);
  for (let r = 0; r < rows; r++) {
    const lat = rowLat(box, projection, (r + 0.5) / rows);
    for (let c = 0; c < cols; c++) {
      const k = (r * cols + c) * 2;
      points[k] = wrapLon(west + ((c + 0.5) * (east - west)) / cols);
      points[k + 1] = lat;
    }
  }
  return { bounds: box, projection, cols, rows, points };
}

/** The latitude a fraction `t` of the way down from the box's north edge. */
function rowLat([, south, , north], projection, t) {
  if (projection === 'lonlat') return north - t * (north - south);
  const [yn, ys] = [mercatorY(north), mercatorY(south)];
  return mercatorLat(yn - t * (yn - ys));
}

/** The index of the cell holding (`lon`, `lat`), or −1 outside the grid. */
export function cellAt({ bounds: [west, south, east, north], projection, cols, rows }, lon, lat) {
  let x = lon;
  while (x < west) x += 360;
  while (x >= west + 360) x -= 360;
  const u = (x - west) / (east - west);
  const v = projection === 'lonlat'
    ? (north - lat) / (north - south)
    : (mercatorY(north) - mercatorY(lat)) / (mercatorY(north) - mercatorY(south));
  if (!(u >= 0 && u < 1 && v >= 0 && v < 1)) return -1;
  return Math.floor(v * rows) * cols + Math.floor(u * cols);
}

/** `[west, south, east, north]` in EPSG:3857 metres (for OpenLayers). */
export function mercatorExtent([west, south, east, north]) {
  const m = (lat) => MERCATOR_RADIUS * mercatorY(lat);
  return [MERCATOR_RADIUS * west * RAD, m(south), MERCATOR_RADIUS * east * RAD, m(north)];
}

/** An EPSG:3857 extent in metres as `[west, south, east, north]` degrees. */
export function lonLatBounds([x0, y0, x1, y1]) {
  const lat = (y) => mercatorLat(y / MERCATOR_RADIUS);
  return [x0 / MERCATOR_RADIUS / RAD, lat(y0), x1 / MERCATOR_RADIUS / RAD, lat(y1)];
}
