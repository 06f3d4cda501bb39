import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer, TiledLayerOptions, TiledMapLayer } from './index.js';

/** A layer of embeddings on a Leaflet map: an `L.GridLayer` of 256-pixel canvases, embedded
 * coarse first and kept as the map moves. `L`: the Leaflet namespace; the map needs its view set. */
export function leafletLayer(
  L: any,
  map: any,
  geoRange: GeoRange,
  options?: TiledLayerOptions & { opacity?: number; pane?: string; tiles?: true },
): TiledMapLayer;
/** The view-sized layer (`L.imageOverlay` over the view, embedded again whenever it settles). */
export function leafletLayer(
  L: any,
  map: any,
  geoRange: GeoRange,
  options: LiveLayerOptions & { tiles: false; opacity?: number; pane?: string; follow?: boolean },
): MapLayer;
