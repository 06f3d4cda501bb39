import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer } from './index.js';

/** A layer of embeddings over a Leaflet map's view (`L.imageOverlay`), drawn now and whenever
 * the view settles. `L`: the Leaflet namespace; the map needs its view set. */
export function leafletLayer(
  L: any,
  map: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { opacity?: number; pane?: string; follow?: boolean },
): MapLayer;
