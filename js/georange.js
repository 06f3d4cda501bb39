// georange — RANGE geo-embeddings in the browser (WebGPU, CPU fallback).
//
// The public API of the npm package: the `GeoRange` class. It loads model files (js/fetch.js)
// into the wasm module (js/runtime.js; made by wasm-bindgen from src/wasm.rs) on WebGPU or on
// the CPU — one thread, or the bank over Web Workers (js/shards.js) — splits large inputs into
// batches and yields between them so the page stays responsive, and queues concurrent calls so
// they never interleave. Errors are `GeoRangeError`s with a `code` (js/errors.js). Works in Web
// Workers too.

import { version } from './version.js'; // written by build.sh from Cargo.toml
import { WasmModel, checkPin, planDevice } from './georange_wasm.js';
import { aborted, asGeoRangeError, disposed, invalid } from './errors.js';
import { cachePolicy, clearCache, fetchBytes } from './fetch.js';
import { variantOf } from './options.js';
import { canStartWorkers, cpuCount, hasWebGpu, initWasm, loadedModuleUrl, probeAdapter, wasmHeapBytes, withWebGpuGlobal } from './runtime.js';
import { ShardedModel, WorkerUnavailable } from './shards.js';
import { Probe } from './probe.js';

export { GeoRangeError, ERROR_CODES } from './errors.js';
export { Probe, labelsFromCsv, labelsFromGeoJson } from './probe.js';
export { wasmModuleUrl } from './runtime.js';

/**
 * What `GeoRange` drives: the wasm module's `WasmModel` (one thread, WebGPU or the CPU) or a
 * `ShardedModel` (the bank over CPU workers). Both answer these calls alike.
 * @typedef {object} Engine
 * @property {'webgpu'|'cpu'} backend
 * @property {string} note why the backend differs from the device asked for ('' if it does not)
 * @property {string} gpuAttention 'fused' or 'stream' on WebGPU with a bank, else ''
 * @property {number} [workers] how many workers hold the bank
 * @property {(variant: string) => number} dim
 * @property {(variant: string) => number} highDim width of the high-resolution part (the core's `Model::high_dim`)
 * @property {(lonLat: Float64Array, variant: string, beta: number, firstRow: number, compute: string) => Promise<Float32Array>} embedBatch
 *   `firstRow`: the caller's row of the first point, which a bad coordinate's error names
 * @property {(lon: number, lat: number, variant: string, beta: number, k: number) => Promise<Float64Array>} explain
 * @property {(query: Float32Array, by: string, k: number) => Promise<Float64Array>} similarRows
 * @property {() => void} dispose
 */

/** Set once a WebGPU device was lost on this page: later loads use the CPU (`planDevice`). */
let gpuLost = false;

/** Yields to the event loop so the page can repaint between batches. */
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

const GPU_PRECISIONS = ['f32', 'f16', 'int8'];
const GPU_ATTENTIONS = ['stream', 'fused'];

/** Checks that `n` (the option `name`) is a whole number of at least 1. */
function checkCount(n, name) {
  if (!Number.isInteger(n) || n < 1) throw invalid(`GeoRange: \`${name}\` must be a whole number of at least 1, got ${n}`);
}

/** Checks the options `load` takes before anything is fetched. */
function checkLoadOptions({ encoder, gpuPrecision, gpuAttention, workers, integrity }) {
  if (!encoder) throw invalid('GeoRange.load: `encoder` (a URL or bytes) is required');
  if (integrity !== undefined && (typeof integrity !== 'object' || Object.keys(integrity).some((k) => !['encoder', 'bank'].includes(k)))) {
    throw invalid('GeoRange.load: `integrity` must be { encoder?, bank? }, each a file\'s content hash (\'blake3-<hex>\')');
  }
  if (gpuPrecision !== undefined && !GPU_PRECISIONS.includes(gpuPrecision)) {
    throw invalid(`GeoRange.load: unknown gpuPrecision ${gpuPrecision} (f32, f16 or int8)`);
  }
  if (gpuAttention !== undefined && !GPU_ATTENTIONS.includes(gpuAttention)) {
    throw invalid(`GeoRange.load: unknown gpuAttention ${gpuAttention} (stream or fused)`);
  }
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 1)) {
    throw invalid(`GeoRange.load: workers must be 'auto' or a whole number ≥ 1, got ${workers}`);
  }
}

/** Where the files `enc` and `bnk` run, as the core decides it (`planDevice`, src/model/device.rs)
 * from `device` and what this page found: `{ backend, workers, note }`. */
async function plan(bnk, { device, probed, workers }) {
  const p = planDevice(String(device), workers === 'auto' ? 0 : workers, hasWebGpu(), Boolean(probed), Boolean(probed?.software),
    gpuLost, bnk?.bytes.length ?? 0, await cpuCount(), canStartWorkers());
  try {
    return { backend: p.backend, workers: p.workers, note: p.note };
  } finally {
    p.free();
  }
}

/** The bank over `count` CPU workers, or null (with a note) where workers cannot start. */
async function loadSharded(enc, bnk, count, wasmModule, geoCutoffDeg) {
  try {
    return { inner: await ShardedModel.load({ encoder: enc.bytes, bank: bnk.bytes, count, wasmModule, geoCutoffDeg }) };
  } catch (e) {
    // A file that cannot be parsed fails here as it would on one thread.
    if (!(e instanceof WorkerUnavailable)) throw e;
    const note = `CPU workers unavailable (${String(e.message).split('\n')[0]}); using one thread`;
    console.warn(`georange: ${note}`);
    return { inner: null, note };
  }
}

/** Refuses a file that `integrity` pins to another content hash (`checkPin`, the core's):
 * code `integrity`, before anything of it is used or cached. */
function checkPins(enc, bnk, integrity = {}) {
  if (integrity.encoder !== undefined) checkPin(enc.bytes, 'encoder', String(integrity.encoder));
  if (integrity.bank !== undefined && bnk) checkPin(bnk.bytes, 'bank', String(integrity.bank));
}

/** The engine for the files `enc` and `bnk` as `setup` asks, where `plan` puts it: CPU
 * workers for a large bank on the CPU (should they fail to start, no module workers here or a
 * Content-Security-Policy, the calling thread runs it), else one wasm model. Every load goes
 * through here, the reload after a lost device included. Resolves to `{ inner, note }`. */
async function build(enc, bnk, setup) {
  const { device, wasmModule, geoCutoffDeg, gpuPrecision, gpuAttention } = setup;
  const where = await plan(bnk, setup);
  const sharded = bnk && where.workers > 1 ? await loadSharded(enc, bnk, where.workers, wasmModule, geoCutoffDeg) : { inner: null };
  // On WebGPU the module may still fall back to the CPU should the device not be made
  // ('auto'); its note then says so.
  const asked = where.backend === 'cpu' ? 'cpu' : device;
  const inner = sharded.inner ?? (await withWebGpuGlobal(() => WasmModel.load(enc.bytes, bnk?.bytes, asked, geoCutoffDeg, gpuPrecision, gpuAttention)));
  return { inner, note: [where.note, inner.note, sharded.note].filter(Boolean).join('; ') };
}

export class GeoRange {
  /** @private */
  constructor(inner, hasBank) {
    /** @type {Engine} */
    this._inner = inner;
    this._hasBank = hasBank;
    this._queue = Promise.resolve();
    this._disposed = false;
  }

  /**
   * Loads an encoder (and optionally a bank) made by `georange convert` / `georange bank build`.
   * @param {import('./georange').LoadOptions} options
   * @returns {Promise<GeoRange>}
   */
  static async load(options = {}) {
    try {
      return await GeoRange._load(options);
    } catch (e) {
      throw asGeoRangeError(e);
    }
  }

  /** The package's version: the workspace's (Cargo.toml), as the CLI's and the Python package's. */
  static get version() {
    return version;
  }

  /**
   * Deletes every model file the package cached in this origin's Cache API (the next load
   * downloads them again). Resolves to whether there was such a cache.
   * @returns {Promise<boolean>}
   */
  static clearCache() {
    return clearCache();
  }

  /** @private */
  static async _load(options) {
    const { encoder, bank, device = 'auto', onProgress, cache, wasmUrl, geoCutoffDeg, gpuPrecision, gpuAttention, workers = 'auto', integrity } = options;
    checkLoadOptions({ encoder, gpuPrecision, gpuAttention, workers, integrity });
    const policy = cachePolicy(cache);
    const files = (fresh = [false, false]) => Promise.all([
      fetchBytes(encoder, 'encoder', onProgress, policy, fresh[0]),
      bank ? fetchBytes(bank, 'bank', onProgress, policy, fresh[1]) : Promise.resolve(undefined),
    ]);
    // The module compiles while the files download and the adapter is asked for: three waits
    // at once. (A failure of one is thrown below; the others' are then of no interest.)
    const pending = [initWasm(wasmUrl), files(), device === 'auto' && !gpuLost ? probeAdapter() : null];
    pending.forEach((p) => Promise.resolve(p).catch(() => {}));
    const wasmModule = await pending[0];
    const probed = await pending[2];
    const setup = { device, probed, workers, wasmModule, geoCutoffDeg, gpuPrecision, gpuAttention };
    // A device that cannot be had (no WebGPU, a lost one) is refused now, not after the downloads.
    await plan(undefined, setup);
    let [enc, bnk] = await pending[1];
    let healed = '';
    let built;
    try {
      checkPins(enc, bnk, integrity);
      built = await build(enc, bnk, setup);
    } catch (e) {
      // A cached copy that does not load (damaged, cut, from an older publication, one of a
      // pair from two, or not the pinned file) is dropped and fetched again, once; the network
      // copy's error is final.
      const code = asGeoRangeError(e).code;
      if (!['bad_file', 'pair_mismatch', 'integrity'].includes(code) || !(enc.cached || bnk?.cached)) throw e;
      const stale = [enc, bnk].filter((f) => f?.cached).map((f) => (f === enc ? 'encoder' : 'bank'));
      console.warn(`georange: the cached ${stale.join(' and ')} did not load (${String(e?.message ?? e).split('\n')[0]}); fetching again`);
      [enc, bnk] = await files([enc.cached, Boolean(bnk?.cached)]);
      checkPins(enc, bnk, integrity);
      built = await build(enc, bnk, setup);
      healed = `the cached ${stale.join(' and ')} did not load; downloaded again`;
    }
    const { inner } = built;
    await Promise.all([enc.keep(), bnk?.keep()]);
    const model = new GeoRange(inner, Boolean(bank));
    // Kept to reload on the CPU if the GPU is lost (from the Cache API, or the caller's bytes).
    model._files = files;
    model._setup = setup;
    model._note = [built.note, enc.note, bnk?.note, healed].filter(Boolean).join('; ');
    if (inner.backend === 'webgpu') model._adapter = (probed ?? (await probeAdapter()))?.name ?? '';
    return model;
  }

  /**
   * Runs `call(inner)`; if the WebGPU device is lost meanwhile, reloads the model on the CPU
   * (saying so in `note`) and runs it again there.
   * @private
   */
  async _onDevice(call) {
    try {
      return await call(this._inner);
    } catch (e) {
      if (this._inner.backend !== 'webgpu' || this._disposed || e?.code !== 'device_lost') throw e;
      gpuLost = true;
      console.warn(`georange: the WebGPU device was lost (${String(e?.message ?? e).split('\n')[0]}); reloading on the CPU`);
      const [enc, bnk] = await this._files();
      // The same plan as a load ('auto' now that the device is lost): the CPU, with the
      // workers a large bank gets there.
      const cpu = await build(enc, bnk, { ...this._setup, device: 'auto', probed: null });
      release(this._inner);
      this._inner = cpu.inner;
      this._adapter = '';
      this._note = cpu.note;
      return call(this._inner);
    }
  }

  /**
   * Queues `run`: calls run one at a time, in call order, and each rejects with a
   * GeoRangeError.
   * @private
   */
  _enqueue(run) {
    const guarded = async () => {
      if (this._disposed) throw disposed();
      try {
        return await run();
      } catch (e) {
        throw asGeoRangeError(e);
      }
    };
    const result = this._queue.then(guarded, guarded);
    this._queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /** The WebGPU adapter's name (vendor, architecture, description), or '' on the CPU. */
  get adapter() { return this._adapter ?? ''; }

  /** The URL of the wasm module the page runs (see `wasmModuleUrl`). */
  get wasmUrl() { return loadedModuleUrl(); }

  /** `'webgpu'` or `'cpu'`: where the model runs. */
  get backend() { return this._inner.backend; }

  /** How many Web Workers share the bank on the CPU (1: the calling thread alone). */
  get workers() { return this._inner.workers ?? 1; }

  /** How WebGPU runs RANGE over the bank: `'fused'` or `'stream'` (see `gpuAttention` in
   * `GeoRange.load`); '' on the CPU or without a bank. */
  get gpuAttention() { return this._inner.gpuAttention; }

  /** Why `backend` differs from the device asked for (empty string if it does not), e.g.
   * no WebGPU adapter, or a WebGPU device lost while running. */
  get note() { return this._note ?? this._inner.note; }

  /** Output width of the default variant (`'range+'` with a bank, `'encoder'` without). */
  get dim() { return this.dimOf(this._defaultVariant()); }

  /** Output width of `variant` (`'encoder'`, `'range'` or `'range+'`). */
  dimOf(variant) {
    try {
      return this._inner.dim(variant);
    } catch (e) {
      throw asGeoRangeError(e);
    }
  }

  /**
   * The high-resolution part of one embedding `row` of `variant` (a view of its first
   * columns, before the encoder's; empty for `'encoder'`): what the bank's values say of a
   * place, e.g. for `rankBank`.
   * @param {Float32Array} row one row of `embed`'s output
   * @param {string} [variant] the variant it was embedded with (default: as `embed`'s)
   * @returns {Float32Array}
   */
  highPart(row, variant = this._defaultVariant()) {
    try {
      return row.subarray(0, this._inner.highDim(variant));
    } catch (e) {
      throw asGeoRangeError(e);
    }
  }

  /** @private */
  _defaultVariant() { return this._hasBank ? 'range+' : 'encoder'; }

  /**
   * Embeds points. Calls are queued: one runs at a time, in call order.
   * @param {Float64Array|number[]} lonLat [lon0, lat0, lon1, lat1, …] in degrees
   * @param {import('./georange').EmbedOptions} [options]
   * @returns {Promise<Float32Array>} rows × dimOf(variant), row-major
   */
  embed(lonLat, options = {}) {
    const variant = variantOf(options, this._defaultVariant(), 'GeoRange.embed');
    return this._enqueue(() => this._embed(lonLat, variant, options));
  }

  /** @private */
  async _embed(lonLat, variant, { beta = 0.5, batchSize = 1024, onProgress, signal, compute = 'exact' } = {}) {
    if (compute !== 'exact' && compute !== 'int8') throw invalid(`GeoRange.embed: compute is 'exact' or 'int8', got ${JSON.stringify(compute)}`);
    const input = lonLat instanceof Float64Array ? lonLat : Float64Array.from(lonLat);
    if (input.length % 2 !== 0) throw invalid(`GeoRange.embed: coordinates come in (lon, lat) pairs, got ${input.length} numbers`);
    const points = input.length / 2;
    const dim = this.dimOf(variant);
    const out = new Float32Array(points * dim);
    const step = Math.max(1, Math.floor(batchSize));
    for (let start = 0; start < points || (points === 0 && start === 0); start += step) {
      if (signal?.aborted) throw aborted('GeoRange.embed', signal);
      const end = Math.min(points, start + step);
      const batch = input.subarray(start * 2, end * 2);
      // The core names the caller's row in an error: it is told where the batch starts.
      const part = await this._onDevice((inner) => inner.embedBatch(batch, variant, beta, start, compute));
      out.set(part, start * dim);
      onProgress?.({ done: end, total: points });
      if (this._disposed) throw disposed(' during embed()');
      if (end < points) await yieldNow();
      if (points === 0) break;
    }
    return out;
  }

  /**
   * The bank rows that contribute most to a point's embedding (RANGE / RANGE+ only).
   * @param {number} lon
   * @param {number} lat
   * @param {{variant?: 'range'|'range+', beta?: number, k?: number}} [options]
   * @returns {Promise<{index: number, weight: number, lon: number, lat: number}[]>} heaviest first
   */
  explain(lon, lat, options = {}) {
    const { beta = 0.5, k = 10 } = options;
    const variant = variantOf(options, 'range+', 'GeoRange.explain');
    return this._enqueue(async () => {
      const flat = await this._onDevice((inner) => inner.explain(lon, lat, variant, beta, k));
      const out = [];
      for (let i = 0; i < flat.length; i += 4) out.push({ index: flat[i], weight: flat[i + 1], lon: flat[i + 2], lat: flat[i + 3] });
      return out;
    });
  }

  /**
   * "Places like this": the `k` bank rows most alike to `vector` (cosine similarity), world-wide,
   * most alike first. An exact scan of the bank (BENCHMARKS.md, "Places like this").
   * @param {Float32Array | number[]} vector as wide as the bank's values (`by: 'values'`, e.g. the
   *   high-resolution part of a RANGE embedding) or its keys (`by: 'keys'`, an encoder output)
   * @param {{by?: 'values'|'keys', k?: number}} [options]
   * @returns {Promise<{index: number, similarity: number, lon: number, lat: number}[]>}
   */
  rankBank(vector, { by = 'values', k = 10 } = {}) {
    return this._enqueue(async () => {
      checkCount(k, 'k');
      const query = Float32Array.from(vector);
      const flat = await this._onDevice((inner) => inner.similarRows(query, by, k));
      const out = [];
      for (let i = 0; i < flat.length; i += 4) out.push({ index: flat[i], similarity: flat[i + 1], lon: flat[i + 2], lat: flat[i + 3] });
      return out;
    });
  }

  /**
   * The bank's places most like (`lon`, `lat`): its embedding under `variant` ranked against every
   * bank row by `rankBank`. `by: 'values'` (default) compares the point's high-resolution part
   * with each row's value (what the bank says a place looks like); `'keys'` compares the
   * encoder's view of the point with each row's key.
   * @param {number} lon
   * @param {number} lat
   * @param {{variant?: 'range'|'range+', beta?: number, by?: 'values'|'keys', k?: number}} [options]
   * @returns {Promise<{index: number, similarity: number, lon: number, lat: number}[]>}
   */
  async placesLike(lon, lat, options = {}) {
    const { beta = 0.5, by = 'values', k = 10 } = options;
    const variant = variantOf(options, 'range+', 'GeoRange.placesLike');
    if (by === 'keys') return this.rankBank(await this.embed([lon, lat], { variant: 'encoder' }), { by, k });
    const v = await this.embed([lon, lat], { variant, beta });
    return this.rankBank(this.highPart(v, variant), { by, k });
  }

  /**
   * Fits a probe on the embeddings of labelled places: a classifier (`kind: 'classify'`,
   * `method: 'logistic'` (default) or `'knn'`), a regressor (`'regress'`, `'ridge'`), or a
   * similarity score ("more like these, not like those": `'similar'`, labels true / false), the
   * same numbers as scikit-learn's `LogisticRegression`, `KNeighborsClassifier` (cosine) and
   * `Ridge` on `StandardScaler`-standardised inputs.
   * @param {import('./georange').ProbeOptions} options
   * @returns {Promise<Probe>}
   */
  fitProbe(options) {
    return Probe.fit(this, options);
  }

  /**
   * A probe from `probe.toJSON()` (or its JSON text) for this model: one fitted on another
   * model is refused (`pair_mismatch`), text that is not a probe too (`bad_file`).
   * @param {string|object} json
   * @param {GeoRange} model
   * @returns {Probe}
   */
  static loadProbe(json, model) {
    if (!(model instanceof GeoRange)) throw invalid('GeoRange.loadProbe(json, model): model is a loaded GeoRange');
    return Probe.load(json, model);
  }

  /** @private What a probe records of this model (the core's `Model::identity`). */
  _identity() { return this._inner.identity; }

  /**
   * The WebAssembly heaps this model computes in, in bytes: the page's module (shared by every
   * model on the page) and each CPU worker's own. A heap grows and never shrinks, so over long
   * use these stop growing once warm (RELIABILITY.md, "Long use").
   * @returns {Promise<{heapBytes: number, workerHeapBytes: number[]}>}
   */
  async memoryUse() {
    if (this._disposed) throw disposed();
    const workers = this._inner instanceof ShardedModel ? await this._inner.workerHeapBytes() : [];
    return { heapBytes: wasmHeapBytes(), workerHeapBytes: workers };
  }

  /** Frees the model now: its WebAssembly memory (not whenever the garbage collector gets
   * to it), its workers, its GPU buffers. Later calls reject with `'disposed'`; its
   * properties (`backend`, `note`, `dimOf`…) still read. */
  dispose() {
    if (this._disposed) return;
    this._disposed = true;
    const inner = this._inner;
    this._inner = retired(inner);
    release(inner);
  }
}

/** Disposes an engine and, for a wasm model, frees its handle at once: a call still running
 * holds its own reference, and the memory goes when it ends. */
function release(inner) {
  inner.dispose();
  inner.free?.();
}

/** What a disposed engine still answers: its properties, read before it was freed. */
function retired(inner) {
  const dims = {};
  const highDims = {};
  for (const m of ['encoder', 'range', 'range+']) {
    try { dims[m] = inner.dim(m); highDims[m] = inner.highDim(m); } catch (e) { dims[m] = e; highDims[m] = e; }
  }
  const read = (table, m) => { if (table[m] instanceof Error) throw table[m]; if (!(m in table)) throw disposed(); return table[m]; };
  return {
    backend: inner.backend, note: inner.note, gpuAttention: inner.gpuAttention, workers: inner.workers, identity: inner.identity,
    dim: (m) => read(dims, m),
    highDim: (m) => read(highDims, m),
    dispose() {},
  };
}

export default GeoRange;
