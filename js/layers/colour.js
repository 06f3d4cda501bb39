// Colour ramps for scalar layers (similarity), and their legend.

/** Ramps as evenly spaced stops, low to high. `viridis` (default) and `magma` are
 * perceptually uniform and read by colour-blind viewers (matplotlib's, 9 samples each). */
export const RAMPS = Object.freeze({
  viridis: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
  magma: ['#000004', '#1c1044', '#4f127b', '#812581', '#b5367a', '#e55964', '#fb8761', '#fec287', '#fcfdbf'],
});

/** Class colours (Tableau 10, a categorical palette most readers tell apart), cycled past ten. */
export const CLASS_COLOURS = Object.freeze(['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']);

export const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The colour of `t` in [0, 1] on `ramp` (a name or a list of '#rrggbb' stops), as [r, g, b]. */
export function rampColour(t, ramp = 'viridis') {
  const stops = (Array.isArray(ramp) ? ramp : RAMPS[ramp] ?? RAMPS.viridis).map(rgb);
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((a, c) => Math.round(a + f * (stops[i + 1][c] - a)));
}

/**
 * RGBA bytes of `scores` on `ramp` between `min` and `max`, and the legend's values: `stops`
 * (5 labels, value and colour) from `min` to `max`.
 */
export function rampColours(scores, { min, max, ramp = 'viridis' }) {
  const rgba = new Uint8ClampedArray(scores.length * 4);
  const span = max - min || 1;
  scores.forEach((s, i) => {
    rgba.set(rampColour((s - min) / span, ramp), i * 4);
    rgba[i * 4 + 3] = 255;
  });
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => ({ value: min + t * span, colour: '#' + rampColour(t, ramp).map((c) => c.toString(16).padStart(2, '0')).join('') }));
  return { rgba, legend: { min, max, ramp, stops } };
}
