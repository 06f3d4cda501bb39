// georange/layers/leaflet: an embedding layer on a Leaflet map. By default a tiled layer (an
// `L.GridLayer` of canvases, each drawn again as its tile sharpens), served by a tiled layer
// (./tiled.js): a pan embeds only the new tiles, and Leaflet keeps the old zoom's tiles on
// screen while a new zoom's are embedded. `tiles: false` gives the view-sized layer (one
// `L.imageOverlay` over the view). Leaflet is passed in, not imported.

import { liveLayer } from './live.js';
import { tiledLayer } from './tiled.js';
import { drawOn, toDataUrl } from './canvas.js';

const TILE_SIZE = 256;

/**
 * Adds a layer of `geoRange`'s embeddings to `map`. Options: see `TiledLayerOptions`, plus
 * `opacity`, `pane` and `tiles` (false: the view-sized layer, `LiveLayerOptions`).
 * @param {any} L the Leaflet namespace
 * @returns {import('./index.js').MapLayer}
 */
export function leafletLayer(L, map, geoRange, { tiles = true, ...options } = {}) {
  return tiles ? tiledLeaflet(L, map, geoRange, options) : viewLeaflet(L, map, geoRange, options);
}

function tiledLeaflet(L, map, geoRange, { opacity = 0.8, pane = 'overlayPane', follow, ...options }) {
  const canvases = new Map(); // "z/x/y" → the canvases showing that tile
  const name = ({ z, x, y }) => `${z}/${x}/${y}`;
  const Grid = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = document.createElement('canvas');
      canvas.style.imageRendering = 'pixelated';
      const tile = { z: coords.z, x: coords.x, y: coords.y };
      const key = name(tile);
      const controller = new AbortController();
      canvas.georange = { key, controller };
      if (!canvases.has(key)) canvases.set(key, new Set());
      canvases.get(key).add(canvas);
      layer.request(tile, controller.signal).then((picture) => {
        if (picture) drawOn(canvas, picture.image);
        done(null, canvas);
      }, (e) => { if (e?.code !== 'aborted') done(e, canvas); });
      return canvas;
    },
  });
  const grid = new Grid({ tileSize: TILE_SIZE, opacity, pane, className: 'georange-layer', noWrap: false, updateWhenZooming: false });
  grid.on('tileunload', ({ tile }) => {
    const { key, controller } = tile.georange ?? {};
    controller?.abort();
    canvases.get(key)?.delete(tile);
  });
  const view = () => {
    const b = map.getBounds();
    return { bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], z: Math.round(map.getZoom()) };
  };
  const onMove = () => layer.auto();
  const layer = tiledLayer({
    geoRange, view, tileSize: TILE_SIZE, ...options,
    onPicture(tile, picture) { for (const canvas of canvases.get(name(tile)) ?? []) drawOn(canvas, picture.image); },
    reload: () => grid.redraw(),
    detach() {
      map.off('moveend', onMove);
      grid.remove();
    },
  });
  map.on('moveend', onMove);
  grid.addTo(map);
  layer.auto();
  return layer;
}

/** The view-sized layer: one image over the view, embedded again when it settles. */
function viewLeaflet(L, map, geoRange, { opacity = 0.8, pane = 'overlayPane', follow = true, ...options }) {
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
