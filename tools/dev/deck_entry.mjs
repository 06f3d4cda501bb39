// What www/examples/deckgl.html imports from deck.gl, bundled by build.sh into
// www/vendor/deck/deck.mjs (as an app's bundler would).
export { Deck } from '@deck.gl/core';
export { BitmapLayer } from '@deck.gl/layers';
export { TileLayer } from '@deck.gl/geo-layers';
