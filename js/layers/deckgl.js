// georange/layers/deckgl: an embedding layer for deck.gl in a Web Mercator view. By default a
// `TileLayer` whose tiles are `BitmapLayer`s, served by a tiled layer (./tiled.js): deck.gl
// shows the best tiles it has while a zoom's are embedded, and each tile is drawn again as it
// sharpens. Given only `BitmapLayer` (or `tiles: false`): the view-sized layer. The classes are
// passed in, not imported: the package needs no copy of deck.gl.

import { liveLayer } from './live.js';
import { tiledLayer } from './tiled.js';
import { toCanvas } from './canvas.js';

/** How long the view must rest before it is embedded again, ms. */
const SETTLE_MS = 150;
const TILE_SIZE = 256;
/** Sharpened tiles are handed to deck.gl at most this often, ms. */
const REDRAW_MS = 250;

/**
 * Follows `deck`'s first viewport and hands its layer to `onLayer` whenever it changes
 * (default: `deck.setProps({ layers: [layer] })`; give your own to keep other layers). Options:
 * see `TiledLayerOptions`, plus `id`, `opacity` and `tiles` (false: the view-sized layer).
 * @param {{ TileLayer?: any, BitmapLayer: any }} deckgl `@deck.gl/geo-layers`' TileLayer and
 *   `@deck.gl/layers`' BitmapLayer
 * @returns {import('./index.js').MapLayer}
 */
export function deckLayer(deckgl, deck, geoRange, { tiles = true, ...options } = {}) {
  if (tiles && deckgl.TileLayer) return tiledDeck(deckgl, deck, geoRange, options);
  if (tiles) console.warn('georange: deckLayer draws tiles given { TileLayer, BitmapLayer }; drawing the view as one image instead');
  return viewDeck(deckgl, deck, geoRange, options);
}

/** Calls `settled` once `deck`'s first viewport has moved and rested; returns the undo. */
function followViewport(deck, settled) {
  let seen = '';
  let timer = 0;
  const userAfterRender = deck.props.onAfterRender;
  const key = () => {
    const vp = deck.getViewports()[0];
    return vp ? JSON.stringify([vp.getBounds(), vp.width, vp.height]) : '';
  };
  // deck.gl has no view events to listen to: after each frame, a moved view schedules a
  // call once it has rested.
  deck.setProps({
    onAfterRender(context) {
      userAfterRender?.(context);
      const now = key();
      if (!now || now === seen) return;
      seen = now;
      clearTimeout(timer);
      timer = setTimeout(settled, SETTLE_MS);
    },
  });
  seen = key();
  return () => {
    clearTimeout(timer);
    deck.setProps({ onAfterRender: userAfterRender ?? (() => {}) });
  };
}

function tiledDeck({ TileLayer, BitmapLayer }, deck, geoRange, { id = 'georange', opacity = 0.8, onLayer, follow, ...options }) {
  const canvases = new WeakMap(); // picture → its canvas
  const latest = new Map(); // "z/x/y" → the tile's latest picture
  const name = ({ z, x, y }) => `${z}/${x}/${y}`;
  let [revision, generation, timer] = [0, 0, 0];
  const canvasOf = (picture) => {
    if (!canvases.has(picture)) canvases.set(picture, toCanvas(picture.image));
    return canvases.get(picture);
  };
  const make = () => new TileLayer({
    id, tileSize: TILE_SIZE, minZoom: 0, maxZoom: 22, opacity,
    getTileData: ({ index: { x, y, z }, signal }) => layer.request({ z, x, y }, signal),
    renderSubLayers(props) {
      const picture = latest.get(name(props.tile.index)) ?? props.data;
      if (!picture) return null;
      const [w, s, e, n] = layer.bounds(props.tile.index);
      return new BitmapLayer(props, { data: null, image: canvasOf(picture), bounds: [w, s, e, n], textureParameters: { minFilter: 'nearest', magFilter: 'nearest' } });
    },
    updateTriggers: { getTileData: generation, renderSubLayers: revision },
  });
  const hand = () => {
    clearTimeout(timer);
    timer = 0;
    const tileLayer = make();
    if (onLayer) onLayer(tileLayer);
    else deck.setProps({ layers: [tileLayer] });
  };
  const view = () => {
    const vp = deck.getViewports()[0];
    if (!vp) return null;
    return { bounds: vp.getBounds(), z: Math.max(0, Math.min(22, Math.round(vp.zoom + Math.log2(512 / TILE_SIZE)))) };
  };
  const unfollow = followViewport(deck, () => layer.auto());
  const layer = tiledLayer({
    geoRange, view, tileSize: TILE_SIZE, ...options,
    onPicture(tile, picture) {
      latest.set(name(tile), picture);
      revision += 1;
      if (!timer) timer = setTimeout(hand, REDRAW_MS);
    },
    settled() { if (timer) hand(); },
    reload() {
      latest.clear();
      generation += 1;
      hand();
    },
    detach() {
      clearTimeout(timer);
      unfollow();
      if (!onLayer) deck.setProps({ layers: [] });
    },
  });
  hand();
  layer.auto();
  return layer;
}

/** The view-sized layer: one `BitmapLayer` over the view, embedded again when it rests. */
function viewDeck({ BitmapLayer }, deck, geoRange, { id = 'georange', opacity = 0.8, onLayer, follow = true, ...options }) {
  const view = () => {
    const vp = deck.getViewports()[0];
    return { bounds: vp.getBounds(), size: [vp.width, vp.height], projection: 'mercator' };
  };
  const show = ({ image, grid }) => {
    const layer = new BitmapLayer({ id, image: toCanvas(image), bounds: grid.bounds, opacity, textureParameters: { minFilter: 'nearest', magFilter: 'nearest' } });
    if (onLayer) onLayer(layer);
    else deck.setProps({ layers: [layer] });
  };
  const unfollow = follow ? followViewport(deck, () => live.auto()) : () => {};
  const live = liveLayer({
    geoRange, view, show, ...options,
    detach() {
      unfollow();
      if (!onLayer) deck.setProps({ layers: [] });
    },
  });
  if (follow && deck.getViewports()[0]) live.auto();
  return live;
}
