// A tile's embeddings as a tiled layer keeps them, and its colours. Each cell's row is kept as
// int8 codes with a scale per row (a quarter of f32's memory; colours move by at most a level
// or two of 255 against f32's). Cells are embedded in `coarseToFine`'s order, skipping those
// the view does not show (embedded when it does), and the picture shows every cell, those not
// yet embedded as their nearest embedded one (`sourceCells`).

import { coarseToFine, middle, sourceCells, steps, tileGrid } from './tiles.js';
import { CLASS_COLOURS, rampColour, rampColours, rgb } from './colour.js';
import { toImage } from './index.js';
import { GeoRangeError } from '../errors.js';

/** A new, empty entry for `tile` with `cells` × `cells` cells. */
export function newEntry(tile, { cells, projection }) {
  const grid = tileGrid(tile, { cells, projection });
  const n = cells * cells;
  return {
    tile: grid.tile, grid, cells, n, order: coarseToFine(cells, cells), step: blockSteps(cells), scan: 0,
    // `sequence[0..done]`: the cells embedded, in the order they were; `embedded`: one byte a cell.
    done: 0, embedded: new Uint8Array(n), sequence: new Uint32Array(n),
    dim: 0, codes: null, scales: null, colours: null, coloured: 0, scaleId: -1, picture: null,
  };
}

/** For each cell of a `cells`-square tile, the side of the block it stands for in the
 * coarse-to-fine order (the block whose middle it is, when first embedded). */
function blockSteps(cells) {
  const out = new Uint16Array(cells * cells);
  for (const s of steps(cells)) {
    for (let r0 = 0; r0 < cells; r0 += s) {
      for (let c0 = 0; c0 < cells; c0 += s) {
        const i = middle(r0, s, cells) * cells + middle(c0, s, cells);
        out[i] ||= s;
      }
    }
  }
  return out;
}

/** A cell's stage: 0 for the one cell over the whole tile, 1 for blocks half as wide, … */
const stageOf = (entry, cell) => Math.log2(entry.step[entry.order[0]] / entry.step[cell]);

/**
 * Which cells to embed for a view that shows `shown` (one byte a cell): each whose block has
 * a shown cell, so a tile at the view's edge still gets its coarse cells (which may lie just
 * outside) and is covered from the first stages. Null when every cell is shown.
 */
export function wantedCells(entry, shown) {
  if (!shown) return null;
  const { cells, step } = entry;
  const sum = new Uint32Array((cells + 1) * (cells + 1)); // 2-D prefix sums of `shown`
  for (let r = 0; r < cells; r++) {
    for (let c = 0; c < cells; c++) sum[(r + 1) * (cells + 1) + c + 1] = shown[r * cells + c] + sum[r * (cells + 1) + c + 1] + sum[(r + 1) * (cells + 1) + c] - sum[r * (cells + 1) + c];
  }
  const any = (r0, c0, r1, c1) => sum[r1 * (cells + 1) + c1] - sum[r0 * (cells + 1) + c1] - sum[r1 * (cells + 1) + c0] + sum[r0 * (cells + 1) + c0] > 0;
  const out = new Uint8Array(cells * cells);
  for (let i = 0; i < out.length; i++) {
    const [r, c, s] = [Math.floor(i / cells), i % cells, step[i]];
    const [r0, c0] = [r - (r % s), c - (c % s)];
    out[i] = any(r0, c0, Math.min(cells, r0 + s), Math.min(cells, c0 + s)) ? 1 : 0;
  }
  return out;
}

/** The bytes an entry holds (its codes, row scales, colours and picture). */
export const entryBytes = (entry) => entry.n * (entry.dim + 4 + 4 + 4) + 256;

/**
 * The stage of the entry's next cell to embed among those `wanted` marks (one byte a cell;
 * null: all), or Infinity when it has none left.
 */
export function nextStage(entry, wanted) {
  const { order, embedded, n } = entry;
  while (entry.scan < n && embedded[order[entry.scan]]) entry.scan += 1;
  for (let k = entry.scan; k < n; k++) if (!embedded[order[k]] && (!wanted || wanted[order[k]])) return stageOf(entry, order[k]);
  return Infinity;
}

/** Up to `room` of the entry's next wanted cells of stage `stage`, in order. */
export function nextCells(entry, wanted, stage, room) {
  const { order, embedded, n } = entry;
  const out = [];
  for (let k = entry.scan; k < n && out.length < room && stageOf(entry, order[k]) <= stage; k++) {
    if (!embedded[order[k]] && (!wanted || wanted[order[k]])) out.push(order[k]);
  }
  return out;
}

/** Whether every cell `wanted` marks (null: every cell) is embedded. */
export const hasAll = (entry, wanted) => nextStage(entry, wanted) === Infinity;

/** Keeps `rows` (`cells.length × dim` f32) as the embeddings of `cells`, the entry's next ones. */
export function store(entry, cells, rows, dim) {
  if (!entry.codes) {
    entry.dim = dim;
    entry.codes = new Int8Array(entry.n * dim);
    entry.scales = new Float32Array(entry.n);
  }
  cells.forEach((cell, j) => {
    const row = rows.subarray(j * dim, (j + 1) * dim);
    let big = 0;
    for (const x of row) big = Math.max(big, Math.abs(x));
    const scale = big / 127 || 1;
    for (let k = 0; k < dim; k++) entry.codes[cell * dim + k] = Math.round(row[k] / scale);
    entry.scales[cell] = scale;
    entry.embedded[cell] = 1;
    entry.sequence[entry.done++] = cell;
  });
}

/** The embedded rows of `entries` (dequantised, `rows × dim`), at most `limit` spread evenly. */
export function sampleRows(entries, limit = 4096) {
  const cells = entries.flatMap((e) => Array.from(e.sequence.subarray(0, e.done), (cell) => [e, cell]));
  const step = Math.max(1, cells.length / limit);
  const dim = entries.find((e) => e.dim)?.dim ?? 0;
  const picked = [];
  for (let i = 0; i < cells.length; i += step) picked.push(cells[Math.floor(i)]);
  const out = new Float32Array(picked.length * dim);
  picked.forEach(([e, cell], r) => {
    for (let k = 0; k < dim; k++) out[r * dim + k] = e.codes[cell * dim + k] * e.scales[cell];
  });
  return { rows: out, dim, count: picked.length };
}

let scales = 0;

/** PCA colours under `basis` (see `fitPca`), for int8 rows. */
export function pcaScale(basis) {
  const { dim, mean, axes, lo, hi } = basis;
  const offset = [0, 1, 2].map((k) => mean.reduce((s, m, j) => s + m * axes[k * dim + j], 0));
  return {
    id: ++scales, mode: 'pca', basis,
    colour(entry, cell, out, at) {
      const { codes, scales: rowScale } = entry;
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += codes[cell * dim + j] * axes[k * dim + j];
        out[at + k] = (255 * (s * rowScale[cell] - offset[k] - lo[k])) / (hi[k] - lo[k] || 1);
      }
      out[at + 3] = 255;
    },
  };
}

/** Similarity colours: each cell's cosine with `reference` on `ramp` from `min` to `max`. */
export function similarityScale(reference, { min, max, ramp = 'viridis' }) {
  const norm = Math.hypot(...reference) || 1;
  const lut = Array.from({ length: 256 }, (_, i) => rampColour(i / 255, ramp));
  const span = max - min || 1;
  return {
    id: ++scales, mode: 'similarity', legend: rampColours([], { min, max, ramp }).legend,
    /** A cell's cosine with the reference. */
    score(entry, cell) {
      const { codes, dim } = entry;
      let dot = 0;
      let sq = 0;
      for (let j = 0; j < dim; j++) {
        const c = codes[cell * dim + j];
        dot += c * reference[j];
        sq += c * c;
      }
      return sq ? dot / (Math.sqrt(sq) * norm) : 0;
    },
    colour(entry, cell, out, at) {
      const t = Math.max(0, Math.min(1, (this.score(entry, cell) - min) / span));
      out.set(lut[Math.round(255 * t)], at);
      out[at + 3] = 255;
    },
  };
}

/** A cell's row, dequantised. */
function rowOf(entry, cell, into) {
  const { codes, scales: rowScale, dim } = entry;
  for (let j = 0; j < dim; j++) into[j] = codes[cell * dim + j] * rowScale[cell];
  return into;
}

/**
 * A probe's colours (`mode: 'probe'`): a classifier's predicted class in its class colour (or,
 * with `probeClass`, that class's probability on `ramp`), a regressor's value or a similarity
 * probe's score on `ramp` from `min` to `max`. The legend lists the classes with their colours, or the ramp's stops.
 */
export function probeScale(probe, { probeClass, min = 0, max = 1, ramp = 'viridis' } = {}) {
  const classes = probe.classes;
  const which = probeClass === undefined ? -1 : classes.indexOf(probeClass);
  if (probeClass !== undefined && which < 0) throw new GeoRangeError(`probe layer: probeClass ${JSON.stringify(probeClass)} is not one of ${JSON.stringify(classes)}`, 'invalid_argument');
  const ramped = probe.givesValues || which >= 0;
  const lut = Array.from({ length: 256 }, (_, i) => rampColour(i / 255, ramp));
  const palette = classes.map((_, i) => rgb(CLASS_COLOURS[i % CLASS_COLOURS.length]));
  const span = max - min || 1;
  let row = null;
  const legend = ramped
    ? rampColours([], { min, max, ramp }).legend
    : { classes: classes.map((c, i) => ({ label: c, colour: CLASS_COLOURS[i % CLASS_COLOURS.length] })) };
  return {
    id: ++scales, mode: 'probe', legend,
    /** A cell's ramp value: the regressor's value or `probeClass`'s probability (NaN for class colours). */
    score(entry, cell) {
      if (!ramped) return Number.NaN;
      row = row?.length === entry.dim ? row : new Float32Array(entry.dim);
      const p = probe.predictEmbeddings(rowOf(entry, cell, row));
      return probe.givesValues ? p.values[0] : p.probabilities[which];
    },
    colour(entry, cell, out, at) {
      if (ramped) {
        out.set(lut[Math.round(255 * Math.max(0, Math.min(1, (this.score(entry, cell) - min) / span)))], at);
      } else {
        row = row?.length === entry.dim ? row : new Float32Array(entry.dim);
        out.set(palette[probe.predictEmbeddings(rowOf(entry, cell, row)).classIndex[0]], at);
      }
      out[at + 3] = 255;
    },
  };
}

/**
 * The entry's picture under `scale`: its embedded cells coloured (only those new since the
 * last paint under the same scale), every other cell showing its source cell's colour.
 */
export function paint(entry, scale) {
  const { n, cells, sequence, done } = entry;
  if (entry.scaleId !== scale.id) {
    entry.scaleId = scale.id;
    entry.coloured = 0;
    entry.colours ??= new Uint8ClampedArray(n * 4);
  }
  for (let k = entry.coloured; k < done; k++) scale.colour(entry, sequence[k], entry.colours, sequence[k] * 4);
  entry.coloured = done;
  let rgba = entry.colours.slice();
  if (done < n) {
    const source = sourceCells(cells, cells, entry.embedded);
    rgba = new Uint8ClampedArray(n * 4);
    source.forEach((from, i) => { if (from >= 0) rgba.set(entry.colours.subarray(from * 4, from * 4 + 4), i * 4); });
  }
  entry.picture = { tile: entry.tile, cells, image: toImage(rgba, cells, cells), embedded: done, complete: done === n };
  return entry.picture;
}
