import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer } from './index.js';

/** A layer of embeddings over an OpenLayers map's view (EPSG:3857 or EPSG:4326), drawn when
 * the map first renders and whenever the view settles. */
export function openLayersLayer(
  ol: { ImageLayer: any; ImageStatic: any },
  map: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { opacity?: number; follow?: boolean },
): MapLayer;
