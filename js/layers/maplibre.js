// georange/layers/maplibre: an embedding layer on a MapLibre GL JS map. By default a tiled
// raster layer: a `raster` source whose tiles come from a custom protocol (maplibregl's
// `addProtocol`) served by a tiled layer (./tiled.js), so a pan embeds only the new tiles and
// MapLibre shows parent tiles while a zoom's are embedded. `tiles: false` (or no `maplibregl`
// to register the protocol with) gives the view-sized layer: one image over the view.

import { liveLayer } from './live.js';
import { tiledLayer } from './tiled.js';
import { toDataUrl, toPngBytes } from './canvas.js';

/** Tiles are this many CSS pixels a side on the map. */
const TILE_SIZE = 256;
/** Sharpened tiles are re-requested at most this often, ms (MapLibre reloads every tile of the
 * source then: each a PNG to decode and a texture to upload, time the embedding loses). */
const REDRAW_MS = 1500;
let layers = 0;

/**
 * Adds a layer of `geoRange`'s embeddings to `map`. Options: see `TiledLayerOptions`, plus
 * `maplibregl` (the module: `import * as maplibregl from 'maplibre-gl'`; default the global
 * `maplibregl` of the script build), `id`, `opacity`, `beforeId` (the style layer to insert it
 * under) and `tiles` (false: the view-sized layer, `LiveLayerOptions`).
 * @returns {import('./index.js').MapLayer}
 */
export function maplibreLayer(map, geoRange, { maplibregl = globalThis.maplibregl, tiles = true, ...options } = {}) {
  if (tiles && !maplibregl?.addProtocol) {
    console.warn('georange: maplibreLayer needs `maplibregl` (the module) for tiles; drawing the view as one image instead');
  }
  return tiles && maplibregl?.addProtocol ? tiledMaplibre(maplibregl, map, geoRange, options) : viewMaplibre(map, geoRange, options);
}

function tiledMaplibre(maplibregl, map, geoRange, { id = 'georange', opacity = 0.8, beforeId, follow, ...options }) {
  const protocol = `georange${++layers}`;
  let revision = 0;
  let timer = 0;
  const tilesUrl = () => [`${protocol}://${revision}/{z}/{x}/{y}`];
  const setTiles = () => {
    clearTimeout(timer);
    timer = 0;
    revision += 1;
    map.getSource(id)?.setTiles(tilesUrl());
  };
  // MapLibre's zoom is in 512-pixel tiles; raster tiles of 256 are one zoom deeper, rounded.
  const view = () => {
    if (!map.getSource(id)) return null;
    const b = map.getBounds();
    const z = Math.max(0, Math.min(22, Math.round(map.getZoom() + Math.log2(512 / TILE_SIZE))));
    return { bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], z };
  };
  const onMove = () => layer.auto();
  const layer = tiledLayer({
    geoRange, view, tileSize: TILE_SIZE, ...options,
    // A tile sharpened: MapLibre asks for the view's tiles again (kept ones come from the cache).
    onPicture() { if (!timer) timer = setTimeout(setTiles, REDRAW_MS); },
    reload: setTiles,
    settled() { if (timer) setTiles(); },
    detach() {
      clearTimeout(timer);
      map.off('moveend', onMove);
      if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(id)) map.removeSource(id);
      maplibregl.removeProtocol(protocol);
    },
  });
  const pngs = new WeakMap(); // picture → its PNG bytes: a reload encodes only what changed
  maplibregl.addProtocol(protocol, async ({ url }, abortController) => {
    const [z, x, y] = url.split('/').slice(-3).map(Number);
    const picture = await layer.request({ z, x, y }, abortController.signal);
    if (!picture) return { data: new ArrayBuffer(0) };
    if (!pngs.has(picture)) pngs.set(picture, await toPngBytes(picture.image));
    return { data: pngs.get(picture).slice(0) };
  });
  const add = () => {
    if (map.getSource(id)) return;
    map.addSource(id, { type: 'raster', tiles: tilesUrl(), tileSize: TILE_SIZE, maxzoom: 22 });
    map.addLayer({ id, type: 'raster', source: id, paint: { 'raster-opacity': opacity, 'raster-resampling': 'nearest', 'raster-fade-duration': 0 } }, beforeId);
  };
  // Tiles follow the map whatever `follow` says: MapLibre asks for them as it moves.
  map.on('moveend', onMove);
  const start = () => { add(); onMove(); };
  // `loaded()` and `isStyleLoaded()` are false while any source loads; adding a source fails
  // only before the style's first load.
  try { start(); } catch { map.once('load', start); }
  return layer;
}

/** The view-sized layer: an `image` source over the view, embedded again when it settles. */
function viewMaplibre(map, geoRange, { id = 'georange', opacity = 0.8, beforeId, follow = true, ...options }) {
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
