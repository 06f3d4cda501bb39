// Probes (issue 43): a classifier, regressor or similarity score ("more like these, not like
// those") fitted on the embeddings of labelled places, to map the rest. This file embeds the points with the model and checks what callers pass; the
// fitting itself is the core's (src/probe/, through `WasmProbe` in src/wasm.rs), the same
// numbers as scikit-learn and as the Python package.
import { WasmProbe } from './georange_wasm.js';
import { GeoRangeError, asGeoRangeError, invalid } from './errors.js';
import { variantOf } from './options.js';
import { columnOf, csvFields } from './csv.js';
import { featureError, featuresOf, geometryPoints } from './geojson.js';

/** Runs `f`, its error a GeoRangeError with the core's code. */
function core(f) {
  try {
    return f();
  } catch (e) {
    throw asGeoRangeError(e);
  }
}

/** `points` as a Float64Array of [lon, lat] pairs, `n` of them if given. */
function pointsOf(points, what, n) {
  const p = points instanceof Float64Array ? points : Float64Array.from(points ?? []);
  if (p.length % 2 !== 0) throw invalid(`${what}: points come in (lon, lat) pairs, got ${p.length} numbers`);
  if (n !== undefined && p.length / 2 !== n) throw invalid(`${what}: ${p.length / 2} points for ${n} labels`);
  return p;
}

/**
 * The labels as the core takes them: class names (strings; integers written as such) for
 * `classify`, a Float64Array for `regress`, `'like'` / `'unlike'` (from true / false) for
 * `similar`. A label that is none of these is refused with its index.
 */
function labelsOf(labels, kind) {
  const list = Array.from(labels ?? []);
  if (kind === 'similar') {
    const side = (v) => (v === true || v === 'like' ? 'like' : v === false || v === 'unlike' ? 'unlike' : null);
    const bad = list.findIndex((v) => side(v) === null);
    if (bad >= 0) throw new GeoRangeError(`fitProbe: label ${bad} is ${JSON.stringify(list[bad])}; a similarity probe takes true / false or 'like' / 'unlike'`, 'invalid_argument', { row: bad });
    return { classes: list.map(side), numeric: false };
  }
  if (kind === 'regress') {
    const bad = list.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new GeoRangeError(`fitProbe: label ${bad} is ${JSON.stringify(list[bad])}; regression takes finite numbers`, 'invalid_argument', { row: bad });
    return { values: Float64Array.from(list), numeric: true };
  }
  const bad = list.findIndex((v) => !(typeof v === 'string' && v.trim() !== '') && !Number.isInteger(v));
  if (bad >= 0) throw new GeoRangeError(`fitProbe: label ${bad} is ${JSON.stringify(list[bad])}; classes are non-empty strings or integers`, 'invalid_argument', { row: bad });
  return { classes: list.map(String), numeric: list.length > 0 && list.every((v) => typeof v === 'number') };
}

/**
 * Labelled points from GeoJSON (a FeatureCollection, a Feature, or an array of features), for
 * `fitProbe`: each Point or MultiPoint feature's positions, and `samples` points spread by area
 * over each Polygon or MultiPolygon (every polygon of it; the same points for the same `seed`),
 * all labelled with the feature's `property` (default `'label'`). A feature without a label,
 * with another geometry, a polygon that crosses itself or a position off the globe is refused
 * (`invalid_argument`, `row`: the feature's index); nothing is returned then.
 * @returns {{ points: Float64Array, labels: (string|number)[], feature: Uint32Array }}
 */
export function labelsFromGeoJson(geojson, { property = 'label', samples = 20, seed = 0 } = {}) {
  const features = featuresOf(geojson, 'labelsFromGeoJson');
  const points = [];
  const labels = [];
  const feature = [];
  features.forEach((f, i) => {
    const label = f?.properties?.[property];
    if (!(typeof label === 'number' && Number.isFinite(label)) && !(typeof label === 'string' && label.trim() !== '')) throw featureError('labelsFromGeoJson', i, `has no ${JSON.stringify(property)} property to label it`);
    const p = geometryPoints(f, i, { samples, seed, caller: 'labelsFromGeoJson' });
    for (let k = 0; k < p.length; k += 2) { points.push(p[k], p[k + 1]); labels.push(label); feature.push(i); }
  });
  return { points: Float64Array.from(points), labels, feature: Uint32Array.from(feature) };
}

/**
 * Labelled points from CSV text (a header line, then one place per line), for `fitProbe`: the
 * columns `lon`, `lat` and `label` name them, or else the first header among the usual names
 * (lon/lng/long/longitude/x, lat/latitude/y, label/class/value/name; any case). With `kind:
 * 'regress'` a label must be a number. A missing column, a coordinate that is not a number or
 * is off the globe, or an empty or non-numeric label is refused (`invalid_argument`, `row`:
 * the data line's index from 0, `column`); nothing is returned then.
 * @returns {{ points: Float64Array, labels: (string|number)[], columns: { lon: string, lat: string, label: string } }}
 */
export function labelsFromCsv(text, { lon, lat, label, kind = 'classify' } = {}) {
  const lines = String(text).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw invalid('labelsFromCsv: the text has no header line');
  const head = csvFields(lines[0]);
  const [x, y, l] = [columnOf(head, lon, 'lon', 'labelsFromCsv'), columnOf(head, lat, 'lat', 'labelsFromCsv'), columnOf(head, label, 'label', 'labelsFromCsv')];
  const points = new Float64Array(2 * (lines.length - 1));
  const labels = [];
  lines.slice(1).forEach((line, row) => {
    const f = csvFields(line);
    const bad = (why, column) => new GeoRangeError(`labelsFromCsv: row ${row} (line ${row + 2}) ${why}`, 'invalid_argument', { row, column });
    const [a, b] = [Number(f[x]), Number(f[y])];
    if (f[x] === '' || f[y] === '' || !(Math.abs(a) <= 180 && Math.abs(b) <= 90)) throw bad(`has no coordinate on the globe: ${JSON.stringify(f[x])}, ${JSON.stringify(f[y])}`, head[Number.isNaN(a) || Math.abs(a) > 180 ? x : y]);
    const v = f[l] ?? '';
    if (v === '') throw bad('has an empty label', head[l]);
    if (kind === 'regress' && !Number.isFinite(Number(v))) throw bad(`has the label ${JSON.stringify(v)}, not a number (regression)`, head[l]);
    points[2 * row] = a;
    points[2 * row + 1] = b;
    labels.push(kind === 'regress' ? Number(v) : v);
  });
  return { points, labels, columns: { lon: head[x], lat: head[y], label: head[l] } };
}

/** A fitted probe: `GeoRange.fitProbe` makes one, `GeoRange.loadProbe` reads one back. */
export class Probe {
  /** @private */
  constructor(inner, model, { numeric, points = null, embeddings = null, labels = null }) {
    this._inner = inner;
    this._model = model;
    this._numeric = numeric;
    this._data = points ? { points, embeddings, labels } : null;
  }

  /** @private The probe `options` ask for, fitted on `model`'s embeddings of `options.points`. */
  static async fit(model, options = {}) {
    const { kind = 'classify', method, C = 1, alpha = 1, k = 5, standardize = true, beta = 0.5 } = options;
    if (!['classify', 'regress', 'similar'].includes(kind)) throw invalid(`fitProbe: kind is 'classify', 'regress' or 'similar', got ${JSON.stringify(kind)}`);
    const variant = variantOf(options, model._defaultVariant(), 'fitProbe');
    const labels = labelsOf(options.labels, kind);
    const n = (labels.classes ?? labels.values).length;
    const points = pointsOf(options.points, 'fitProbe', n);
    const embeddings = await model.embed(points, { variant, beta });
    const dim = embeddings.length / Math.max(n, 1);
    const inner = core(() => WasmProbe.fit(embeddings, dim, labels.classes ?? null, labels.values ?? null, kind, method ?? null,
      C, alpha, k, standardize, model._identity(), variant, beta));
    return new Probe(inner, model, { numeric: labels.numeric, points, embeddings, labels });
  }

  /** @private */
  static load(json, model) {
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    const inner = core(() => WasmProbe.fromJson(text, model._identity()));
    let numeric = false;
    try { numeric = JSON.parse(text).numericLabels === true; } catch { /* the core has refused it already */ }
    return new Probe(inner, model, { numeric });
  }

  /** `'classify'`, `'regress'` or `'similar'`. */
  get kind() { return this._inner.kind; }
  /** Whether it answers with a number per point (`regress`, `similar`) rather than classes. */
  get givesValues() { return this.kind !== 'classify'; }
  /** `'logistic'`, `'knn'`, `'ridge'` or `'centroid'`. */
  get method() { return this._inner.method; }
  /** The variant and β whose embeddings it reads. */
  get variant() { return this._inner.variant; }
  get beta() { return this._inner.beta; }
  /** The classes, sorted as scikit-learn sorts them (numbers where the labels were integers). */
  get classes() { return this._classes(this._inner.classes); }

  /** @private */
  _classes(names) { return this._numeric && this.kind === 'classify' ? names.map(Number) : names; }

  /**
   * The probe's answer for `points`: `{ labels, probabilities }` (a label per point, and
   * `points × classes.length` probabilities) or `{ values }`.
   */
  async predict(points, { batchSize, signal, onProgress } = {}) {
    const p = pointsOf(points, 'Probe.predict');
    const embeddings = await this._model.embed(p, { variant: this.variant, beta: this.beta, batchSize, signal, onProgress });
    const out = core(() => this._inner.predict(embeddings));
    if (this.givesValues) return { values: out.values };
    const classes = this.classes;
    return { labels: Array.from(out.labels, (i) => classes[i]), probabilities: out.probabilities, classIndex: out.labels };
  }

  /**
   * The probe's answer for embeddings you have already (`rows × dim` of its variant and β,
   * e.g. a grid's): `{ classIndex, probabilities }` or `{ values }`, at once (no model call).
   * @param {Float32Array} embeddings
   */
  predictEmbeddings(embeddings) {
    const out = core(() => this._inner.predict(embeddings));
    return this.givesValues ? { values: out.values } : { classIndex: out.labels, probabilities: out.probabilities };
  }

  /**
   * Spatial block cross-validation on the points it was fitted on: blocks of `blockDegrees`
   * (default 10°) of longitude and latitude, each in one of `folds` folds (default 5) by a
   * seeded hash; a probe of the same options fitted on the other folds scores each.
   * @returns {Promise<{score: number, metric: 'accuracy'|'r2', folds: object[]}>}
   */
  async crossValidate({ blockDegrees = 10, folds = 5, seed = 0 } = {}) {
    if (!this._data) throw invalid('Probe.crossValidate: a probe read from JSON has not its points; fit it again');
    const { points, embeddings, labels } = this._data;
    const flat = core(() => this._inner.crossValidate(points, embeddings, labels.classes ?? null, labels.values ?? null, blockDegrees, folds, seed));
    const [first, second] = this._inner.scoreNames;
    const list = [];
    for (let i = 0; i < flat.length; i += 4) list.push({ train: flat[i], test: flat[i + 1], [first]: flat[i + 2], [second]: flat[i + 3] });
    const score = list.reduce((s, f) => s + f[first], 0) / list.length;
    return { score, metric: first, folds: list };
  }

  /**
   * Answers as a GeoJSON FeatureCollection of Points, for GIS tools: one feature per point of
   * `points` with `predict`'s (or `predictEmbeddings`') `answer` for it: `label` and
   * `probability` (the label's) for a classifier, `value` (`score` for a similarity probe)
   * otherwise; `skip(i)` true leaves point `i` out (e.g. a map cell not embedded yet).
   */
  predictionsGeoJson(points, answer, { skip = () => false } = {}) {
    const p = pointsOf(points, 'Probe.predictionsGeoJson');
    const n = p.length / 2;
    const index = answer?.classIndex ?? (answer?.labels ? Array.from(answer.labels, (l) => this.classes.indexOf(l)) : null);
    if ((index?.length ?? answer?.values?.length) !== n) throw invalid(`Probe.predictionsGeoJson: ${n} points, answers for ${index?.length ?? answer?.values?.length ?? 0}`);
    const classes = this.classes;
    const k = classes.length;
    const name = this.kind === 'similar' ? 'score' : 'value';
    const features = [];
    for (let i = 0; i < n; i++) {
      if (skip(i)) continue;
      const properties = index ? { label: classes[index[i]], probability: answer.probabilities[i * k + index[i]] } : { [name]: answer.values[i] };
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [p[2 * i], p[2 * i + 1]] }, properties });
    }
    return { type: 'FeatureCollection', features };
  }

  /** The probe as a JSON value (what `JSON.stringify(probe)` writes), for `GeoRange.loadProbe`. */
  toJSON() {
    return { ...JSON.parse(core(() => this._inner.json())), numericLabels: this._numeric };
  }

  /** Frees the probe's WebAssembly memory now. */
  dispose() {
    this._inner?.free();
    this._inner = null;
  }
}
