// georange/layers/maplibre: an embedding layer on a MapLibre GL JS map (an `image` source and
// a `raster` layer), following the view. Needs nothing from maplibre-gl but the map.

import { liveLayer } from './live.js';
import { toDataUrl } from './canvas.js';

/**
 * Adds a layer of `geoRange`'s embeddings over `map`'s view, redrawn when the view settles
 * (`moveend`; a move cancels the embedding in flight): now, and whenever the view settles (`follow: false`: only when you call `refresh()`). Options: see `LiveLayerOptions`, plus
 * `id`, `opacity` and `beforeId` (the style layer to insert it under).
 * @returns {import('./index.js').MapLayer}
 */
export function maplibreLayer(map, geoRange, { id = 'georange', opacity = 0.8, beforeId, follow = true, ...options } = {}) {
  const view = () => {
    const b = map.getBounds();
    const canvas = map.getCanvas();
    return { bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], size: [canvas.clientWidth, canvas.clientHeight], projection: 'mercator' };
  };
  const show = ({ image, grid }) => {
    const [w, s, e, n] = grid.bounds;
    const picture = { url: toDataUrl(image), coordinates: [[w, n], [e, n], [e, s], [w, s]] };
    const source = map.getSource(id);
    if (source) return source.updateImage(picture);
    map.addSource(id, { type: 'image', ...picture });
    map.addLayer({ id, type: 'raster', source: id, paint: { 'raster-opacity': opacity, 'raster-resampling': 'nearest', 'raster-fade-duration': 0 } }, beforeId);
  };
  const onMove = () => live.auto();
  const live = liveLayer({
    geoRange, view, show, ...options,
    detach() {
      map.off('moveend', onMove);
      if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(id)) map.removeSource(id);
    },
  });
  if (follow) {
    map.on('moveend', onMove);
    if (map.loaded()) live.auto();
    else map.once('load', onMove);
  }
  return live;
}
