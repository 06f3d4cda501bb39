import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer, TiledLayerOptions, TiledMapLayer } from './index.js';

/** Embeddings in a `Deck` (Web Mercator view) as a `TileLayer` (`@deck.gl/geo-layers`) of
 * `BitmapLayer`s, handed to `onLayer` whenever it changes (default: `deck.setProps({ layers:
 * [layer] })`). */
export function deckLayer(
  deckgl: { TileLayer: any; BitmapLayer: any },
  deck: any,
  geoRange: GeoRange,
  options?: TiledLayerOptions & { id?: string; opacity?: number; tiles?: true; onLayer?: (layer: any) => void },
): TiledMapLayer;
/** The view-sized layer (one `BitmapLayer` over the view, embedded again whenever it rests):
 * given only `BitmapLayer`, or `tiles: false`. */
export function deckLayer(
  deckgl: { BitmapLayer: any },
  deck: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { tiles?: boolean; id?: string; opacity?: number; follow?: boolean; onLayer?: (layer: any) => void },
): MapLayer;
