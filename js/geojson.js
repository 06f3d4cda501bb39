// GeoJSON as georange reads it (labelsFromGeoJson, embedFile): a feature's geometry as places:
// Points and MultiPoints as they are, Polygons and MultiPolygons as points spread by area inside
// (the core's samplePolygon: seeded, holes kept out, a ring that crosses itself refused).
import { samplePolygon } from './georange_wasm.js';
import { GeoRangeError, asGeoRangeError, invalid } from './errors.js';
import { wasmReady } from './runtime.js';

/** The features of a FeatureCollection, a Feature or an array of features. */
export function featuresOf(geojson, caller) {
  const features = Array.isArray(geojson) ? geojson : geojson?.type === 'FeatureCollection' ? geojson.features : [geojson];
  if (!Array.isArray(features)) throw invalid(`${caller}: expected a FeatureCollection, a Feature or an array of features`);
  return features;
}

/** A feature's error: `invalid_argument` with `row` its index. */
export const featureError = (caller, i, why) => new GeoRangeError(`${caller}: feature ${i} ${why}`, 'invalid_argument', { row: i });

/**
 * The places of feature `i`'s geometry as [lon, lat, …]: its positions, or `samples` points
 * spread by area over each polygon (seeded by `seed` and the feature's index). Another
 * geometry, a position off the globe or a polygon that crosses itself throws (`row`: `i`).
 */
export function geometryPoints(f, i, { samples = 20, seed = 0, caller }) {
  const bad = (why) => featureError(caller, i, why);
  const out = [];
  const onGlobe = (p) => {
    if (!(Array.isArray(p) && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90)) throw bad(`has a position off the globe: ${JSON.stringify(p)}`);
    return p;
  };
  const position = (p) => out.push(...onGlobe(p).slice(0, 2));
  const polygon = (rings, part) => {
    if (!Array.isArray(rings) || !rings.length) throw bad('has a polygon without rings');
    if (!wasmReady()) throw new GeoRangeError(`${caller}: polygons are sampled by the WebAssembly module: load a model first (GeoRange.load)`, 'unavailable');
    const ring = (r) => (Array.isArray(r) ? r : []);
    const flat = Float64Array.from(rings.flatMap((r) => ring(r).flatMap((p) => onGlobe(p).slice(0, 2))));
    const lengths = Uint32Array.from(rings.map((r) => 2 * ring(r).length));
    let sampled;
    try {
      sampled = samplePolygon(flat, lengths, samples, seed + 1_000_003 * i + part);
    } catch (e) {
      throw bad(`is refused: ${asGeoRangeError(e).message}`);
    }
    out.push(...sampled);
  };
  const g = f?.geometry;
  switch (g?.type) {
    case 'Point': position(g.coordinates); break;
    case 'MultiPoint': (g.coordinates ?? []).forEach(position); break;
    case 'Polygon': polygon(g.coordinates, 0); break;
    case 'MultiPolygon': (g.coordinates ?? []).forEach((rings, part) => polygon(rings, part)); break;
    default: throw bad(`is a ${g?.type ?? 'feature without geometry'}; places come from Points, MultiPoints, Polygons and MultiPolygons`);
  }
  if (!out.length) throw bad('has no position');
  return out;
}
