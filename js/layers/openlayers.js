// georange/layers/openlayers: an embedding layer on an OpenLayers map (an `Image` layer with an
// `ImageStatic` source), following the view, in EPSG:3857 (Mercator) or EPSG:4326 (lon/lat).
// The two classes are passed in, not imported: the package needs no copy of OpenLayers.

import { liveLayer } from './live.js';
import { lonLatBounds, mercatorExtent } from './grid.js';
import { toDataUrl } from './canvas.js';

/**
 * Adds a layer of `geoRange`'s embeddings over `map`'s view, redrawn when the view settles
 * (`moveend`; a move cancels the embedding in flight): now, and whenever the view settles (`follow: false`: only when you call `refresh()`). Options: see `LiveLayerOptions`, plus
 * `opacity`.
 * @param {{ ImageLayer: any, ImageStatic: any }} ol `ol/layer/Image` and `ol/source/ImageStatic`
 * @returns {import('./index.js').MapLayer}
 */
export function openLayersLayer({ ImageLayer, ImageStatic }, map, geoRange, { opacity = 0.8, follow = true, ...options } = {}) {
  const layer = new ImageLayer({ opacity, className: 'georange-layer' });
  map.addLayer(layer);
  const code = () => map.getView().getProjection().getCode();
  const view = () => {
    const extent = map.getView().calculateExtent(map.getSize());
    const lonlat = code() === 'EPSG:4326';
    return { bounds: lonlat ? extent : lonLatBounds(extent), size: map.getSize(), projection: lonlat ? 'lonlat' : 'mercator' };
  };
  const show = ({ image, grid }) => {
    const imageExtent = grid.projection === 'lonlat' ? grid.bounds : mercatorExtent(grid.bounds);
    layer.setSource(new ImageStatic({ url: toDataUrl(image), imageExtent, projection: code(), interpolate: false }));
  };
  const onMove = () => live.auto();
  const live = liveLayer({
    geoRange, view, show, ...options,
    detach() {
      map.un('moveend', onMove);
      map.removeLayer(layer);
    },
  });
  if (follow) {
    map.on('moveend', onMove);
    if (map.getSize()) live.auto();
  }
  return live;
}
