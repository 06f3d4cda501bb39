// The least app that uses georange through a bundler: `import` the package by its name,
// load an encoder and a bank, embed points. tests/apps/run.mjs builds this with Vite,
// webpack and esbuild and calls `window.embedHere(...)` in headless Chromium.
import { GeoRange } from 'georange';

/** Loads the model with `options`, embeds `points` ([lon, lat, …]) and says how it ran. */
window.embedHere = async ({ points, variant, beta, ...options }) => {
  const m = await GeoRange.load({ cache: false, ...options });
  try {
    const out = await m.embed(Float64Array.from(points), { variant, beta });
    return { backend: m.backend, workers: m.workers, note: m.note, dim: m.dimOf(variant), out: Array.from(out) };
  } finally {
    m.dispose();
  }
};
document.getElementById('status').textContent = 'ready';
