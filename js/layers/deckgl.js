// georange/layers/deckgl: an embedding layer for deck.gl (a `BitmapLayer`), following the view
// of a `Deck` in a Web Mercator view. The class is passed in, not imported: the package needs
// no copy of deck.gl.

import { liveLayer } from './live.js';
import { toCanvas } from './canvas.js';

/** How long the view must rest before it is embedded again, ms. */
const SETTLE_MS = 150;

/**
 * Follows `deck`'s first viewport and hands a new `BitmapLayer` of `geoRange`'s embeddings to
 * `onLayer` each time it is drawn (default: `deck.setProps({ layers: [layer] })`; give your own
 * to keep other layers). Options: see `LiveLayerOptions`, plus `id` and `opacity`.
 * @param {{ BitmapLayer: any }} deckgl `@deck.gl/layers`
 * @returns {import('./index.js').MapLayer}
 */
export function deckLayer({ BitmapLayer }, deck, geoRange, { id = 'georange', opacity = 0.8, onLayer, follow = true, ...options } = {}) {
  const viewport = () => deck.getViewports()[0];
  const view = () => {
    const vp = viewport();
    return { bounds: vp.getBounds(), size: [vp.width, vp.height], projection: 'mercator' };
  };
  const show = ({ image, grid }) => {
    const layer = new BitmapLayer({ id, image: toCanvas(image), bounds: grid.bounds, opacity, textureParameters: { minFilter: 'nearest', magFilter: 'nearest' } });
    if (onLayer) onLayer(layer);
    else deck.setProps({ layers: [layer] });
  };
  let seen = '';
  let timer = 0;
  const userAfterRender = deck.props.onAfterRender;
  const live = liveLayer({
    geoRange, view, show, ...options,
    detach() {
      clearTimeout(timer);
      deck.setProps({ onAfterRender: userAfterRender ?? (() => {}) });
      if (!onLayer) deck.setProps({ layers: [] });
    },
  });
  // deck.gl has no view events to listen to: after each frame, a moved view schedules a
  // refresh once it has rested.
  const key = () => {
    const vp = viewport();
    return vp ? JSON.stringify([vp.getBounds(), vp.width, vp.height]) : '';
  };
  deck.setProps({
    onAfterRender(context) {
      userAfterRender?.(context);
      const now = key();
      if (!follow || !now || now === seen) return;
      seen = now;
      clearTimeout(timer);
      timer = setTimeout(() => live.auto(), SETTLE_MS);
    },
  });
  seen = key();
  if (follow && seen) live.auto();
  return live;
}
