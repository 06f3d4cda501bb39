import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer, TiledLayerOptions, TiledMapLayer } from './index.js';

/** A layer of embeddings on an OpenLayers map (EPSG:3857 or EPSG:4326): a `Tile` layer over an
 * `ImageTile` source (`ol/layer/Tile`, `ol/source/ImageTile`), embedded coarse first and kept
 * as the map moves. */
export function openLayersLayer(
  ol: { TileLayer: any; ImageTile: any },
  map: any,
  geoRange: GeoRange,
  options?: TiledLayerOptions & { opacity?: number; tiles?: true },
): TiledMapLayer;
/** The view-sized layer (an `ImageStatic` over the view, embedded again whenever it settles):
 * given `ol/layer/Image` and `ol/source/ImageStatic`, or `tiles: false`. */
export function openLayersLayer(
  ol: { ImageLayer: any; ImageStatic: any },
  map: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { tiles?: boolean; opacity?: number; follow?: boolean },
): MapLayer;
