// georange — RANGE geo-embeddings in the browser (WebGPU, CPU fallback).
//
// The public API of the npm package. It wraps the wasm module (georange_wasm.js, made by
// wasm-bindgen from src/wasm.rs): fetches model files with progress and caches them with the
// Cache API, splits large inputs into batches and yields between them so the page stays
// responsive, and queues concurrent calls so they never interleave. Works in Web Workers too.

import init, { WasmModel } from './georange_wasm.js';
import { ShardedModel, WorkerUnavailable } from './shards.js';

const CACHE_NAME = 'georange-models-v1';
let ready = null;
/** Set once a WebGPU device was lost on this page: later loads use the CPU. */
let gpuLost = '';

/** Whether an error from the wasm module means the GPU device is gone (lost, destroyed). */
function isDeviceLoss(e) {
  return /device is poisoned|device (was )?lost|device was destroyed|destroyed: /i.test(String(e?.message ?? e));
}

/** The smallest module with a SIMD instruction (i32.const 0; i8x16.splat): validates only
 * where WebAssembly SIMD runs, which the module is built for (.cargo/config.toml). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);

/** The same with a relaxed-SIMD instruction (three splats, then f32x4.relaxed_madd): validates
 * where the package's second module runs. */
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11]);

/**
 * The URL of the wasm module this browser runs, next to this script: the relaxed-SIMD build
 * (its CPU loops use fused multiply-adds) where WebAssembly validates relaxed SIMD, else the
 * baseline SIMD build. For a service worker's precache list; `LoadOptions.wasmUrl` overrides it.
 * @returns {string}
 */
export function wasmModuleUrl() {
  return (WebAssembly.validate(RELAXED_SIMD_PROBE)
    ? new URL('./georange_wasm_relaxed_bg.wasm', import.meta.url)
    : new URL('./georange_wasm_bg.wasm', import.meta.url)).href;
}

/** The URL the page's module came from, once one is compiled. */
let moduleUrl = '';

/** Compiles the wasm module at `url`. */
async function compileWasm(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GeoRange: cannot fetch the wasm module ${response.url}: HTTP ${response.status}`);
  // Streaming compilation needs the right MIME type, which not every static server sends.
  return (response.headers.get('content-type') ?? '').startsWith('application/wasm')
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles and initialises the wasm module once; resolves to the compiled module, which the
 * CPU workers (js/shards.js) instantiate too instead of fetching and compiling it each. */
function initWasm(wasmUrl) {
  if (!ready) {
    if (!WebAssembly.validate(SIMD_PROBE)) {
      return Promise.reject(new Error('GeoRange: this browser lacks WebAssembly SIMD (Chrome 91+, Firefox 89+ and Safari 16.4+ have it)'));
    }
    // `wasmUrl`, or the module next to this script that this browser runs.
    const url = wasmUrl ? new URL(wasmUrl, location.href).href : wasmModuleUrl();
    ready = compileWasm(url).then(async (module) => {
      await init({ module_or_path: module });
      moduleUrl = url;
      return module;
    });
    ready.catch(() => { ready = null; });
  }
  return ready;
}

/** Reads a Response body into a Uint8Array, reporting bytes done/total. */
async function readWithProgress(response, file, onProgress) {
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !response.body.getReader) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.length, total: total || bytes.length });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ file, loaded, total });
  }
  if (total && loaded !== total) throw new Error(`${file}: download ended at ${loaded} of ${total} bytes`);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  onProgress?.({ file, loaded, total: total || loaded });
  return bytes;
}

async function openCache(useCache) {
  if (!useCache || typeof caches === 'undefined') return null;
  try { return await caches.open(CACHE_NAME); } catch { return null; }
}

/**
 * A model file: a URL (fetched with one retry, or taken from the Cache API), or bytes given
 * directly. Resolves to `{ bytes, keep }`: `keep()` stores a fresh download in the cache, to
 * be called once the bytes have loaded, so neither a partial download nor a file that fails
 * to parse is ever cached.
 */
async function fetchBytes(source, file, onProgress, useCache) {
  const given = (bytes) => ({ bytes, keep: async () => {} });
  if (source instanceof Uint8Array) return given(source);
  if (source instanceof ArrayBuffer) return given(new Uint8Array(source));
  if (typeof Blob !== 'undefined' && source instanceof Blob) return given(new Uint8Array(await source.arrayBuffer()));
  const url = String(source);
  const cache = await openCache(useCache);
  const cached = cache && (await cache.match(url));
  if (cached) return given(await readWithProgress(cached, file, onProgress));
  let lastError;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status} for ${url}`);
      const bytes = await readWithProgress(response, file, onProgress);
      const keep = async () => {
        const headers = { 'content-length': String(bytes.length) };
        if (cache) await cache.put(url, new Response(bytes, { headers })).catch(() => {});
      };
      return { bytes, keep };
    } catch (e) {
      lastError = e;
      if (String(e.message).includes('HTTP 4')) break; // a missing file will not appear on retry
    }
  }
  throw new Error(`${file}: cannot load ${url}: ${lastError?.message ?? lastError}`);
}

/**
 * The browser's WebGPU adapter: `{ name, software }`, or null without one. `name` is readable
 * (vendor, architecture, description); `software` is true for a fallback adapter that runs on
 * the CPU (Chromium's SwiftShader).
 */
async function probeAdapter() {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
    const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
    const name = [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ');
    return { name: (name + (software ? ' (software fallback adapter)' : '')).trim(), software };
  } catch {
    return null;
  }
}

/** Why `device: 'auto'` skips a software WebGPU adapter (BENCHMARKS.md: Chromium's SwiftShader
 * ran RANGE 14–53× slower than the CPU path, single points and batches of 16 and 100 alike). */
const SOFTWARE_ADAPTER_NOTE = "WebGPU has only a software adapter here, slower than the CPU path; using the CPU (device: 'webgpu' uses it anyway)";

/** With `workers: 'auto'`, banks of at least this many bytes are split over CPU workers: a
 * single point then costs several milliseconds on one thread (BENCHMARKS.md: 22–24 ms for
 * 100k int8 rows, 2.5–3.9 ms for 10k), and each worker halves, thirds… that. */
const AUTO_WORKERS_MIN_BYTES = 16 << 20;
/** With `workers: 'auto'`, at most this many workers (the bank's rows are read once per
 * point by each; more cores than this rarely have the memory bandwidth to gain). */
const AUTO_WORKERS_MAX = 8;

/** How many CPU workers a bank of `bytes` gets: `workers` as given, or for `'auto'` one per
 * core (up to AUTO_WORKERS_MAX) for a large bank, else 1 (the calling thread). */
function workerCount(workers, bytes) {
  if (workers === 'auto') {
    const cores = Number(globalThis.navigator?.hardwareConcurrency) || 1;
    return bytes >= AUTO_WORKERS_MIN_BYTES && typeof Worker !== 'undefined' ? Math.min(cores, AUTO_WORKERS_MAX) : 1;
  }
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`GeoRange.load: workers must be 'auto' or a whole number ≥ 1, got ${workers}`);
  return workers;
}

/** Why `device: 'auto'` runs on the CPU without an adapter (the wasm module's words for it). */
const NO_ADAPTER_NOTE = 'WebGPU unavailable (no usable adapter); using the CPU';

/** Yields to the event loop so the page can repaint between batches. */
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

export class GeoRange {
  /** @private */
  constructor(inner, hasBank) {
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
    const { encoder, bank, device = 'auto', onProgress, cache = true, wasmUrl, geoCutoffDeg, gpuPrecision, gpuAttention, workers = 'auto' } = options;
    if (!encoder) throw new Error('GeoRange.load: `encoder` (a URL or bytes) is required');
    if (!['auto', 'webgpu', 'cpu'].includes(device)) throw new Error(`GeoRange.load: unknown device ${device}`);
    if (gpuPrecision !== undefined && !['f32', 'f16', 'int8'].includes(gpuPrecision)) {
      throw new Error(`GeoRange.load: unknown gpuPrecision ${gpuPrecision} (f32, f16 or int8)`);
    }
    if (gpuAttention !== undefined && !['stream', 'fused'].includes(gpuAttention)) {
      throw new Error(`GeoRange.load: unknown gpuAttention ${gpuAttention} (stream or fused)`);
    }
    if (workers !== 'auto') workerCount(workers, 0);
    if (gpuLost && device === 'webgpu') throw new Error(`GeoRange.load: ${gpuLost}; use device 'auto' or 'cpu'`);
    const files = () => Promise.all([
      fetchBytes(encoder, 'encoder', onProgress, cache),
      bank ? fetchBytes(bank, 'bank', onProgress, cache) : Promise.resolve(undefined),
    ]);
    // The module compiles while the files download and the adapter is asked for: three waits
    // at once. (A failure of one is thrown below; the others' are then of no interest.)
    const pending = [initWasm(wasmUrl), files(), device === 'auto' && !gpuLost ? probeAdapter() : null];
    pending.forEach((p) => Promise.resolve(p).catch(() => {}));
    const wasmModule = await pending[0];
    const [enc, bnk] = await pending[1];
    // 'auto' passes over a software adapter: the CPU path is faster than a GPU emulated on it.
    const probed = await pending[2];
    const software = Boolean(probed?.software);
    const where = gpuLost || software ? 'cpu' : device;
    // On the CPU a large bank is split over workers (js/shards.js); should they fail to
    // start (no module workers here, a Content-Security-Policy), the calling thread runs it.
    const onCpu = where === 'cpu' || (where === 'auto' && !probed);
    const count = bnk && onCpu ? workerCount(workers, bnk.bytes.length) : 1;
    let inner = null;
    let workersNote = '';
    if (count > 1) {
      inner = await ShardedModel.load({ encoder: enc.bytes, bank: bnk.bytes, count, wasmModule, geoCutoffDeg }).catch((e) => {
        // A file that cannot be parsed fails here as it would on one thread.
        if (!(e instanceof WorkerUnavailable)) throw e;
        workersNote = `CPU workers unavailable (${String(e?.message ?? e).split('\n')[0]}); using one thread`;
        console.warn(`georange: ${workersNote}`);
        return null;
      });
    }
    inner ??= await WasmModel.load(enc.bytes, bnk?.bytes, where, geoCutoffDeg, gpuPrecision, gpuAttention);
    await Promise.all([enc.keep(), bnk?.keep()]);
    const model = new GeoRange(inner, Boolean(bank));
    // Kept to reload on the CPU if the GPU is lost (from the Cache API, or the caller's bytes).
    model._files = files;
    model._geoCutoffDeg = geoCutoffDeg;
    if (gpuLost) model._note = `${gpuLost}; using the CPU`;
    else if (software) model._note = SOFTWARE_ADAPTER_NOTE;
    // On one thread the wasm module says this itself (src/wasm.rs); the workers were asked for the CPU.
    else if (where === 'auto' && !probed && inner instanceof ShardedModel) model._note = NO_ADAPTER_NOTE;
    if (workersNote) model._note = [model._note ?? inner.note, workersNote].filter(Boolean).join('; ');
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
      if (this._inner.backend !== 'webgpu' || this._disposed || !isDeviceLoss(e)) throw e;
      gpuLost = 'the WebGPU device was lost';
      console.warn(`georange: ${gpuLost} (${String(e?.message ?? e).split('\n')[0]}); reloading on the CPU`);
      const [enc, bnk] = await this._files();
      const cpu = await WasmModel.load(enc.bytes, bnk?.bytes, 'cpu', this._geoCutoffDeg);
      this._inner.dispose();
      this._inner = cpu;
      this._adapter = '';
      this._note = `${gpuLost}; switched to the CPU`;
      return call(this._inner);
    }
  }

  /** The WebGPU adapter's name (vendor, architecture, description), or '' on the CPU. */
  get adapter() { return this._adapter ?? ''; }

  /** The URL of the wasm module the page runs (see `wasmModuleUrl`). */
  get wasmUrl() { return moduleUrl; }

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

  /** Output width of the default model (`'range+'` with a bank, `'encoder'` without). */
  get dim() { return this.dimOf(this._hasBank ? 'range+' : 'encoder'); }

  /** Output width of `model`. */
  dimOf(model) { return this._inner.dim(model); }

  /**
   * Embeds points. Calls are queued: one runs at a time, in call order.
   * @param {Float64Array|number[]} lonLat [lon0, lat0, lon1, lat1, …] in degrees
   * @param {import('./georange').EmbedOptions} [options]
   * @returns {Promise<Float32Array>} rows × dimOf(model), row-major
   */
  embed(lonLat, options = {}) {
    const run = () => this._embed(lonLat, options);
    const result = this._queue.then(run, run);
    this._queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /** @private */
  async _embed(lonLat, { model = this._hasBank ? 'range+' : 'encoder', beta = 0.5, batchSize = 1024, onProgress } = {}) {
    if (this._disposed) throw new Error('GeoRange: the model was disposed');
    const input = lonLat instanceof Float64Array ? lonLat : Float64Array.from(lonLat);
    if (input.length % 2 !== 0) throw new Error(`GeoRange.embed: coordinates come in (lon, lat) pairs, got ${input.length} numbers`);
    const points = input.length / 2;
    const dim = this.dimOf(model);
    const out = new Float32Array(points * dim);
    const step = Math.max(1, Math.floor(batchSize));
    for (let start = 0; start < points || (points === 0 && start === 0); start += step) {
      const end = Math.min(points, start + step);
      const batch = input.subarray(start * 2, end * 2);
      const part = await this._onDevice((inner) => inner.embedBatch(batch, model, beta)).catch((e) => {
        // Rust errors name the row within the batch; shift it to the caller's row.
        const msg = String(e?.message ?? e).replace(/^row (\d+)/, (_, r) => `row ${Number(r) + start}`);
        throw new Error(msg);
      });
      out.set(part, start * dim);
      onProgress?.({ done: end, total: points });
      if (this._disposed) throw new Error('GeoRange: the model was disposed during embed()');
      if (end < points) await yieldNow();
      if (points === 0) break;
    }
    return out;
  }

  /**
   * The bank rows that contribute most to a point's embedding (RANGE / RANGE+ only).
   * @param {number} lon
   * @param {number} lat
   * @param {{model?: 'range'|'range+', beta?: number, k?: number}} [options]
   * @returns {Promise<{index: number, weight: number, lon: number, lat: number}[]>} heaviest first
   */
  explain(lon, lat, { model = 'range+', beta = 0.5, k = 10 } = {}) {
    const run = async () => {
      if (this._disposed) throw new Error('GeoRange: the model was disposed');
      const flat = await this._onDevice((inner) => inner.explain(lon, lat, model, beta, k));
      const out = [];
      for (let i = 0; i < flat.length; i += 4) out.push({ index: flat[i], weight: flat[i + 1], lon: flat[i + 2], lat: flat[i + 3] });
      return out;
    };
    const result = this._queue.then(run, run);
    this._queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Frees the model. Running and queued `embed` calls reject. */
  dispose() {
    this._disposed = true;
    this._inner.dispose();
  }
}

export default GeoRange;
