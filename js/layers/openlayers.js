// georange/layers/openlayers: an embedding layer on an OpenLayers map, in EPSG:3857 (Mercator)
// or EPSG:4326 (lon/lat). By default a tiled layer (a `Tile` layer over an `ImageTile` source
// whose loader gives canvases, each drawn again as its tile sharpens), served by a tiled layer
// (./tiled.js). Given only `ImageLayer` and `ImageStatic` (or `tiles: false`): the view-sized
// layer. The classes are passed in, not imported: the package needs no copy of OpenLayers.

import { liveLayer } from './live.js';
import { tiledLayer } from './tiled.js';
import { drawOn, toDataUrl } from './canvas.js';
import { lonLatBounds, mercatorExtent } from './grid.js';

const TILE_SIZE = 256;

/**
 * Adds a layer of `geoRange`'s embeddings to `map`. Options: see `TiledLayerOptions`, plus
 * `opacity` and `tiles` (false: the view-sized layer, `LiveLayerOptions`).
 * @param {{ TileLayer?: any, ImageTile?: any, ImageLayer?: any, ImageStatic?: any }} ol
 *   `ol/layer/Tile` and `ol/source/ImageTile` for tiles; `ol/layer/Image` and
 *   `ol/source/ImageStatic` for the view-sized layer
 * @returns {import('./index.js').MapLayer}
 */
export function openLayersLayer(ol, map, geoRange, { tiles = true, ...options } = {}) {
  if (tiles && ol.TileLayer && ol.ImageTile) return tiledOpenLayers(ol, map, geoRange, options);
  if (tiles) console.warn('georange: openLayersLayer draws tiles given { TileLayer, ImageTile }; drawing the view as one image instead');
  return viewOpenLayers(ol, map, geoRange, options);
}

function tiledOpenLayers({ TileLayer, ImageTile }, map, geoRange, { opacity = 0.8, follow, ...options }) {
  const code = map.getView().getProjection().getCode();
  const projection = code === 'EPSG:4326' ? 'lonlat' : 'mercator';
  const canvases = new Map(); // "z/x/y" → the canvases showing that tile
  const name = ({ z, x, y }) => `${z}/${x}/${y}`;
  let generation = 0;
  const source = new ImageTile({
    projection: code, wrapX: true, interpolate: false, transition: 0, tileSize: TILE_SIZE,
    // EPSG:4326: z 0 is two tiles of 180° side by side, as the lon/lat pyramid has it.
    ...(projection === 'lonlat' ? { maxResolution: 180 / TILE_SIZE } : {}),
    loader(z, x, y, { signal }) {
      const canvas = document.createElement('canvas');
      const key = name({ z, x, y });
      if (!canvases.has(key)) canvases.set(key, new Set());
      canvases.get(key).add(canvas);
      signal?.addEventListener('abort', () => canvases.get(key)?.delete(canvas), { once: true });
      return layer.request({ z, x, y }, signal).then((picture) => {
        if (!picture) throw new Error('georange: the settings changed; the tile is asked for again');
        drawOn(canvas, picture.image);
        return canvas;
      });
    },
  });
  const tileLayer = new TileLayer({ source, opacity, className: 'georange-layer' });
  const view = () => {
    const size = map.getSize();
    if (!size) return null;
    const extent = map.getView().calculateExtent(size);
    const z = source.getTileGrid().getZForResolution(map.getView().getResolution(), 0);
    return { bounds: projection === 'lonlat' ? extent : lonLatBounds(extent), z };
  };
  const onMove = () => layer.auto();
  const layer = tiledLayer({
    geoRange, view, tileSize: TILE_SIZE, projection, ...options,
    onPicture(tile, picture) {
      const shown = canvases.get(name(tile));
      for (const canvas of shown ?? []) drawOn(canvas, picture.image);
      if (shown?.size) tileLayer.changed();
    },
    reload() {
      canvases.clear();
      source.setKey(String(++generation)); // new tiles: OpenLayers keeps its own by key
    },
    detach() {
      map.un('moveend', onMove);
      map.removeLayer(tileLayer);
    },
  });
  map.addLayer(tileLayer);
  map.on('moveend', onMove);
  layer.auto();
  return layer;
}

/** The view-sized layer: an `ImageStatic` over the view, embedded again when it settles. */
function viewOpenLayers({ ImageLayer, ImageStatic }, map, geoRange, { opacity = 0.8, follow = true, ...options }) {
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
