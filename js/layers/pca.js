// Colours from embeddings: the first three principal components as red, green and blue.
// A basis fitted once (on one view, or on the whole world) and passed again colours every
// later grid alike, so that tiles next to each other share colours.

/** Rows a fit looks at, at most (an even sample of a larger grid). */
const FIT_ROWS = 4096;
const ITERATIONS = 30;

/**
 * The top three principal components of `embeddings` (`n × dim`, row-major), by block power
 * iteration on a sample of at most 4,096 rows: `{ dim, mean, axes (3 × dim), lo, hi }`, where
 * `lo`/`hi` are each component's 1st and 99th percentile over the sample (the colour range).
 * Deterministic: the same embeddings give the same basis, signs included.
 * @returns {import('./index.js').PcaBasis}
 */
export function fitPca(embeddings, dim) {
  const n = embeddings.length / dim;
  const step = Math.max(1, Math.floor(n / FIT_ROWS));
  const rows = [];
  for (let i = 0; i < n; i += step) rows.push(i);
  const mean = new Float64Array(dim);
  for (const i of rows) for (let j = 0; j < dim; j++) mean[j] += embeddings[i * dim + j] / rows.length;
  const centred = new Float64Array(rows.length * dim);
  rows.forEach((i, r) => { for (let j = 0; j < dim; j++) centred[r * dim + j] = embeddings[i * dim + j] - mean[j]; });
  let axes = [0, 1, 2].map((k) => Float64Array.from({ length: dim }, (_, j) => Math.sin(1 + j * (k + 1.7))));
  for (let it = 0; it < ITERATIONS; it++) {
    axes = axes.map((v) => covarianceTimes(centred, rows.length, dim, v));
    orthonormalise(axes);
  }
  // Signs: each axis points so that its largest component is positive.
  for (const a of axes) {
    let big = 0;
    for (const x of a) if (Math.abs(x) > Math.abs(big)) big = x;
    if (big < 0) for (let j = 0; j < dim; j++) a[j] = -a[j];
  }
  const basis = { dim, mean: Float32Array.from(mean), axes: Float32Array.from(axes.flatMap((a) => [...a])), lo: [0, 0, 0], hi: [1, 1, 1] };
  const proj = project(embeddings, basis, rows);
  for (let k = 0; k < 3; k++) {
    const sorted = proj[k].sort();
    basis.lo[k] = sorted[Math.floor(0.01 * (sorted.length - 1))];
    basis.hi[k] = sorted[Math.ceil(0.99 * (sorted.length - 1))];
  }
  return basis;
}

/** `Cᵀ(C v)` for centred rows `C`. */
function covarianceTimes(c, n, dim, v) {
  const out = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += c[i * dim + j] * v[j];
    if (s) for (let j = 0; j < dim; j++) out[j] += c[i * dim + j] * s;
  }
  return out;
}

/** Gram–Schmidt: the axes made orthogonal and of unit length, in place. */
function orthonormalise(axes) {
  axes.forEach((a, k) => {
    for (let m = 0; m < k; m++) {
      let p = 0;
      for (let j = 0; j < a.length; j++) p += a[j] * axes[m][j];
      for (let j = 0; j < a.length; j++) a[j] -= p * axes[m][j];
    }
    const norm = Math.hypot(...a) || 1;
    for (let j = 0; j < a.length; j++) a[j] /= norm;
  });
}

/** Each of the three components for rows `rows` (all rows by default). */
function project(embeddings, { dim, mean, axes }, rows) {
  const list = rows ?? Array.from({ length: embeddings.length / dim }, (_, i) => i);
  const out = [0, 1, 2].map(() => new Float64Array(list.length));
  list.forEach((i, r) => {
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (embeddings[i * dim + j] - mean[j]) * axes[k * dim + j];
      out[k][r] = s;
    }
  });
  return out;
}

/** RGBA bytes of each row of `embeddings` under `basis` (components beyond lo..hi clamp). */
export function pcaColours(embeddings, basis) {
  const proj = project(embeddings, basis);
  const n = proj[0].length;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = (255 * (proj[k][i] - basis.lo[k])) / (basis.hi[k] - basis.lo[k] || 1);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
