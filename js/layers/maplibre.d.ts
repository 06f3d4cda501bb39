import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer, TiledLayerOptions, TiledMapLayer } from './index.js';

/** A layer of embeddings on a MapLibre GL JS map: a `raster` source (`id`) whose 256-pixel
 * tiles come from a custom protocol registered on `maplibregl` (the module; default the
 * script build's global), embedded coarse first and kept as the map moves. */
export function maplibreLayer(
  map: any,
  geoRange: GeoRange,
  options?: TiledLayerOptions & { maplibregl?: any; id?: string; opacity?: number; beforeId?: string; tiles?: true },
): TiledMapLayer;
/** The view-sized layer (an `image` source over the view, embedded again whenever it settles). */
export function maplibreLayer(
  map: any,
  geoRange: GeoRange,
  options: LiveLayerOptions & { tiles: false; id?: string; opacity?: number; beforeId?: string; follow?: boolean },
): MapLayer;
