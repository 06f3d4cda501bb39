import type { GeoRange } from '../georange.js';
import type { LiveLayerOptions, MapLayer } from './index.js';

/** Follows a `Deck`'s (Web Mercator) view and hands a new `BitmapLayer` of embeddings to
 * `onLayer` each time one is drawn (default: `deck.setProps({ layers: [layer] })`). */
export function deckLayer(
  deckgl: { BitmapLayer: any },
  deck: any,
  geoRange: GeoRange,
  options?: LiveLayerOptions & { id?: string; opacity?: number; follow?: boolean; onLayer?: (layer: any) => void },
): MapLayer;
