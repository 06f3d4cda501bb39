// georange/layers/leaflet: an embedding layer on a Leaflet map (`L.imageOverlay`), following
// the view. Leaflet is passed in, not imported: the package needs no copy of its own.

import { liveLayer } from './live.js';
import { toDataUrl } from './canvas.js';

/**
 * Adds a layer of `geoRange`'s embeddings over `map`'s view, redrawn when the view settles
 * (`moveend`; a move cancels the embedding in flight): now, and whenever the view settles (`follow: false`: only when you call `refresh()`). Options: see `LiveLayerOptions`, plus
 * `opacity` and `pane`.
 * @param {any} L the Leaflet namespace
 * @returns {import('./index.js').MapLayer}
 */
export function leafletLayer(L, map, geoRange, { opacity = 0.8, pane = 'overlayPane', follow = true, ...options } = {}) {
  let overlay = null;
  const view = () => {
    const b = map.getBounds();
    const { x, y } = map.getSize();
    return { bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], size: [x, y], projection: 'mercator' };
  };
  const show = ({ image, grid }) => {
    const [w, s, e, n] = grid.bounds;
    const corners = L.latLngBounds([s, w], [n, e]);
    if (overlay) return overlay.setUrl(toDataUrl(image)).setBounds(corners);
    overlay = L.imageOverlay(toDataUrl(image), corners, { opacity, pane, className: 'georange-layer', interactive: false }).addTo(map);
    overlay.getElement().style.imageRendering = 'pixelated';
  };
  const onMove = () => live.auto();
  const live = liveLayer({
    geoRange, view, show, ...options,
    detach() {
      map.off('moveend', onMove);
      overlay?.remove();
      overlay = null;
    },
  });
  if (follow) {
    map.on('moveend', onMove);
    live.auto();
  }
  return live;
}
