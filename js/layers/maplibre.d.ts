import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer } from './index.js';

/** A layer of embeddings over a MapLibre GL JS map's view (an `image` source and a `raster`
 * layer, `id`), drawn now (or on `load`) and whenever the view settles. */
export function maplibreLayer(
  map: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { id?: string; opacity?: number; beforeId?: string; follow?: boolean },
): MapLayer;
