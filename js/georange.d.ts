/** Download progress of one model file. */
export interface LoadProgress {
  /** `'encoder'` or `'bank'`. */
  file: 'encoder' | 'bank';
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes, or 0 when the server did not say. */
  total: number;
}

/** A model file: a URL to fetch, or its bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | Blob;

export interface LoadOptions {
  /** The encoder file (`encoder.safetensors` from `georange convert`). */
  encoder: ModelSource;
  /** The bank file (`bank.safetensors`); needed for `'range'` and `'range+'`. */
  bank?: ModelSource;
  /** `'auto'` (default): WebGPU when a hardware adapter exists, else the CPU — also when the
   * only adapter is a software one (e.g. Chromium's SwiftShader), which runs RANGE 14–53×
   * slower than the CPU path; `note` then says so. `'webgpu'` uses any adapter. */
  device?: 'auto' | 'webgpu' | 'cpu';
  /** Called as files download. */
  onProgress?: (p: LoadProgress) => void;
  /**
   * How downloaded files are kept in the Cache API (URLs only; bytes and Node.js paths are
   * never cached):
   * - `'revalidate'` (default; `true` means the same): a cached file is used once the server
   *   says it is current (a conditional request with its `ETag`/`Last-Modified`, answered
   *   304), or when the server cannot be reached (offline; `note` says so). A file
   *   republished at the same URL replaces the cached one on the next load.
   * - `'prefer'`: a cached file is used without asking the server (offline first; publish a
   *   new file under a new URL, e.g. with a version or hash in it, or call `clearCache()`).
   * - `false`: no cache.
   * A cached file that fails to load (damaged, cut, or an encoder and a bank from two
   * different publications) is dropped and downloaded again, once, and `note` says so; only
   * if the downloaded copy fails too does `load` reject, with its error.
   */
  cache?: boolean | 'revalidate' | 'prefer';
  /**
   * Pins the files, as Subresource Integrity pins a script: each the `content_hash` its file
   * carries (`georange info FILE` prints it), written `'blake3-<hex>'` (`'sha256-<hex>'` for a
   * version 1 file). A file whose hash differs is refused with code `'integrity'` before
   * anything from it is used or cached (a cached copy that differs is fetched again, once).
   * Costs one more hash of each pinned file (about 0.1 s per 100 MB in WebAssembly).
   */
  integrity?: { encoder?: string; bank?: string };
  /** Where the wasm module is, if not next to this script (default: `wasmModuleUrl()`, one of
   * the package's two builds). It is compiled once per page and shared with the CPU workers. */
  wasmUrl?: string | URL;
  /**
   * Approximate RANGE+ (off by default: exact). The geographic head, softmax(40·cos θ), skips
   * bank rows more than this many degrees from a point; each skipped row would have weighed at
   * most exp(40·(cos cutoff − 1)) of the nearest (8.6e-5 at 40°). Measured: 40° keeps the
   * result within ~1.4e-4 relative error. Faster for single or nearby points, slower for
   * batches scattered over the globe. β = 1 and RANGE stay exact.
   */
  geoCutoffDeg?: number;
  /**
   * How the bank is held on WebGPU: `'f32'` (default, exact to f32 rounding) or `'f16'`: half
   * the GPU memory and f16 matrix products with f32 softmax sums, at a relative error of at
   * most 2e-3 against f32. Needs the adapter's `shader-f16` feature; without it the bank stays
   * f32 and `note` says so. `'int8'`: a quarter of the GPU memory, int8 codes with one scale
   * per row read in place by the fused kernel (or dequantised inside the stream's matrix
   * products, `gpuAttention: 'stream'`); an int8 bank file keeps its own numbers (the
   * result is the file's, as on the CPU), other files are quantised per row. Ignored on the CPU,
   * which reads the bank in its file's precision.
   */
  gpuPrecision?: 'f32' | 'f16' | 'int8';
  /**
   * How WebGPU runs each head over the bank: `'fused'` (the default): one kernel per head that
   * keeps nothing but one tile's weights in workgroup memory and reads f16 and int8 banks in
   * place; or `'stream'`: tiles of the bank, a few kernels per tile. Both are exact to f32
   * rounding; fused measured 4–9× faster in Chromium's WebGPU on SwiftShader at 1 to 1,000
   * points (BENCHMARKS.md). Ignored on the CPU.
   */
  gpuAttention?: 'stream' | 'fused';
  /**
   * On the CPU, how many workers (Web Workers in a page, `worker_threads` in Node.js) share
   * the bank: each holds a contiguous part of its rows,
   * and every batch runs on all of them at once (two rounds of messages; the result is the
   * one-thread result to f32 rounding). `'auto'` (default): one per core, at most 8, for a
   * bank file of 16 MiB or more (a single point then takes several ms on one thread), else 1;
   * `1`: the calling thread alone, no workers. Should the workers fail to start (no module
   * workers, a Content-Security-Policy), the calling thread runs the model and `note` says so.
   * Ignored on WebGPU.
   */
  workers?: 'auto' | number;
}

/** What a call computes for each point: the raw encoder output, RANGE or RANGE+. */
export type Variant = 'encoder' | 'range' | 'range+';

export interface EmbedOptions {
  /** `'encoder'` (raw encoder output), `'range'` or `'range+'` (default with a bank). */
  variant?: Variant;
  /** @deprecated the first name of `variant` (still read, with a note on the console). */
  model?: Variant;
  /** RANGE+ mix in [0, 1]: 1 = semantic (sharp), 0 = geographic (smooth). Default 0.5. */
  beta?: number;
  /** Points per batch (default 1024); the page repaints between batches. A batch larger than
   * the device can hold (WebGPU guarantees 128 MiB buffers) is split further inside. */
  batchSize?: number;
  /** Called after each batch. */
  onProgress?: (p: { done: number; total: number }) => void;
  /** Stops the call between batches: it rejects with `code` `'aborted'` (e.g. when the map
   * view moved on), and the model stays ready for the next call. */
  signal?: AbortSignal;
  /** The score pass's arithmetic against an int8 bank on the CPU: `'exact'` (default; f32, the
   * numbers the parity tests hold to the reference) or `'int8'` (int8 × int8 dot products, the
   * query quantised per point: embeddings within cosine 0.9999 and relative error 1e-3 of
   * `'exact'`; natively 10–20% faster for batches, in a browser not yet: BENCHMARKS.md "int8
   * arithmetic"). WebGPU and f32 banks compute as `'exact'` whatever this says. */
  compute?: 'exact' | 'int8';
}

/** A bank row and how alike it is to a query (`GeoRange.rankBank`, `GeoRange.placesLike`). */
export interface SimilarPlace {
  /** Row of the bank. */
  index: number;
  /** Cosine similarity with the query, in [−1, 1]. */
  similarity: number;
  lon: number;
  lat: number;
}

/**
 * What went wrong, as a stable word (the same as the Rust `Error::code` and the Python
 * package's `code`): branch on it, never on the message.
 * - `'bad_file'`: a file is not an encoder or bank file of ours, or is damaged or cut short;
 * - `'pair_mismatch'`: the bank was not built for this encoder (another width or encoder);
 * - `'bad_coordinate'`: a NaN or infinite coordinate, or a latitude outside [−90, 90] (`row` says which);
 * - `'invalid_argument'`: an option out of range or unknown (a model name, β, workers…);
 * - `'network'`: a file could not be downloaded (HTTP error, cut connection);
 * - `'device_lost'`: the WebGPU device was lost (a call in flight finishes on the CPU by itself);
 * - `'unavailable'`: this browser or build lacks what was asked for (WebAssembly SIMD, a route);
 * - `'disposed'`: the model was disposed before or during the call;
 * - `'integrity'`: a file is intact but not the one `LoadOptions.integrity` pinned;
 * - `'worker_failed'`: a CPU worker could not start or died;
 * - `'aborted'`: the caller's `AbortSignal` stopped the call;
 * - `'backend'`: the compute backend failed; `'io'`: the file system (Node.js) failed.
 */
export type ErrorCode =
  | 'io' | 'bad_file' | 'pair_mismatch' | 'bad_coordinate' | 'invalid_argument' | 'backend'
  | 'device_lost' | 'unavailable' | 'disposed' | 'integrity' | 'network' | 'worker_failed' | 'aborted';

/** Every `ErrorCode`. */
export declare const ERROR_CODES: readonly ErrorCode[];

/** The error every georange call rejects (or throws) with. */
export declare class GeoRangeError extends Error {
  readonly name: 'GeoRangeError';
  /** What went wrong (see `ErrorCode`). */
  readonly code: ErrorCode;
  /** For `'bad_coordinate'`: the caller's row (0-based) of the first bad point. */
  readonly row?: number;
  /** For a file's bad value (`labelsFromCsv`): the column it is in. */
  readonly column?: string;
}

/** A loaded RANGE / encoder model. */
/** What `GeoRange.fitProbe` fits, on what. */
export interface ProbeOptions {
  /** [lon0, lat0, lon1, lat1, …] in degrees: the labelled places. */
  points: Float64Array | number[];
  /** One per point: class names or integers (`kind: 'classify'`), finite numbers (`'regress'`),
   * `true` / `false` (or `'like'` / `'unlike'`) for `'similar'`. */
  labels: ArrayLike<string | number | boolean>;
  /** `'classify'` (default), `'regress'`, or `'similar'`: "more like these, not like those", a
   * score per place (the probability of `like`; with no `false` label, the cosine similarity to
   * the `like` places' mean direction). */
  kind?: 'classify' | 'regress' | 'similar';
  /** `'logistic'` (classify's and similar's default: multinomial, or binomial for two classes,
   * L2, as scikit-learn's `LogisticRegression(solver='lbfgs')`), `'knn'` (k nearest by cosine,
   * as `KNeighborsClassifier(metric='cosine')`), `'ridge'` (regress's default, as `Ridge`) or
   * `'centroid'` (similar: cosine to the `like` mean less that to the `unlike` mean; what a
   * similarity probe with `like` places only is fitted with). */
  method?: 'logistic' | 'knn' | 'ridge' | 'centroid';
  /** Inverse regularisation strength, as `LogisticRegression`'s `C` (default 1). */
  C?: number;
  /** Regularisation strength, as `Ridge`'s `alpha` (default 1). */
  alpha?: number;
  /** Neighbours for `'knn'` (default 5). */
  k?: number;
  /** Standardise the embeddings first, as `StandardScaler` (default true). */
  standardize?: boolean;
  /** The embeddings to fit on (`GeoRange.embed`'s; default `'range+'` with a bank). */
  variant?: Variant;
  /** RANGE+'s β (default 0.5). */
  beta?: number;
}

/** One fold of `Probe.crossValidate`: its sizes and scores (classification: `accuracy`,
 * `macroF1`; regression: `r2`, `rmse`). */
export interface FoldScore {
  train: number;
  test: number;
  accuracy?: number;
  macroF1?: number;
  r2?: number;
  rmse?: number;
}

/**
 * Labelled points from GeoJSON for `fitProbe`: each Point / MultiPoint feature's positions and
 * `samples` (default 20) points spread by area over each Polygon / MultiPolygon (seeded by
 * `seed`, default 0), labelled with the feature's `property` (default `'label'`). A feature
 * without a label, with another geometry, a polygon that crosses itself or a position off the
 * globe throws (`invalid_argument`, `row`: the feature's index). `feature`: each point's feature.
 * Polygons are sampled by the WebAssembly module: load a model first (else `unavailable`).
 */
export declare function labelsFromGeoJson(geojson: object | object[], options?: { property?: string; samples?: number; seed?: number }):
  { points: Float64Array; labels: (string | number)[]; feature: Uint32Array };

/**
 * Labelled points from CSV text (a header, then a place per line) for `fitProbe`: the columns
 * named by `lon`, `lat` and `label`, or else the first header among the usual names
 * (lon/lng/long/longitude/x, lat/latitude/y, label/class/value/name; any case). `kind:
 * 'regress'` wants numeric labels. A missing column, a coordinate off the globe or not a
 * number, an empty or (regress) non-numeric label throws `invalid_argument` with `row` (the
 * data line, from 0) and `column`.
 */
export declare function labelsFromCsv(text: string, options?: { lon?: string; lat?: string; label?: string; kind?: 'classify' | 'regress' | 'similar' }):
  { points: Float64Array; labels: (string | number)[]; columns: { lon: string; lat: string; label: string } };

/** A probe fitted on a model's embeddings (`GeoRange.fitProbe`, `GeoRange.loadProbe`). */
export declare class Probe {
  readonly kind: 'classify' | 'regress' | 'similar';
  /** Whether it answers with `values` (`regress`, `similar`) rather than classes. */
  readonly givesValues: boolean;
  readonly method: 'logistic' | 'knn' | 'ridge' | 'centroid';
  readonly variant: Variant;
  readonly beta: number;
  /** The classes, sorted as scikit-learn sorts them (numbers where the labels were integers);
   * empty for regression. */
  readonly classes: (string | number)[];
  /** The answer for `points`: each point's class and every class's probability (`points ×
   * classes.length`, row by row; `classIndex` the class's index in `classes`), or values. */
  predict(points: Float64Array | number[], options?: { batchSize?: number; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void }):
    Promise<{ labels: (string | number)[]; probabilities: Float64Array; classIndex: Uint32Array } | { values: Float64Array }>;
  /** The answer for embeddings already at hand (`rows × dim` of the probe's variant and β, e.g.
   * a grid's), synchronously. */
  predictEmbeddings(embeddings: Float32Array): { classIndex: Uint32Array; probabilities: Float64Array } | { values: Float64Array };
  /** Spatial block cross-validation on the points it was fitted on: blocks of `blockDegrees`
   * (default 10) in longitude and latitude, `folds` folds (default 5) by a hash seeded with
   * `seed` (default 0); `score` is the mean of `metric` over the folds. */
  crossValidate(options?: { blockDegrees?: number; folds?: number; seed?: number }): Promise<{ score: number; metric: 'accuracy' | 'r2'; folds: FoldScore[] }>;
  /** Answers as a GeoJSON FeatureCollection of Points for GIS tools: per point of `points`, from
   * `predict`'s or `predictEmbeddings`' `answer`, `label` and `probability` (classifier), `value`
   * (regressor) or `score` (similarity); `skip(i)` true leaves point `i` out. */
  predictionsGeoJson(points: Float64Array | number[], answer: { classIndex?: ArrayLike<number>; labels?: ArrayLike<string | number>; probabilities?: Float64Array; values?: Float64Array },
    options?: { skip?: (i: number) => boolean }): { type: 'FeatureCollection'; features: object[] };
  /** The probe as a JSON value, with the model it was fitted on (`GeoRange.loadProbe`). */
  toJSON(): object;
  /** Frees its WebAssembly memory now. */
  dispose(): void;
}

export declare class GeoRange {
  /** Fetches (with progress, cached) and loads a model. Rejects with a `GeoRangeError` on a bad
   * file (`code` `'bad_file'`, `'pair_mismatch'`, `'network'`…). */
  static load(options: LoadOptions): Promise<GeoRange>;
  /** The package's version (e.g. `'0.1.0'`): the workspace's, as `georange --version` and
   * Python's `georange.__version__` report. */
  static readonly version: string;
  /** Deletes every model file the package cached in this origin (the Cache API cache
   * `'georange-models-v1'`); resolves to whether there was one. */
  static clearCache(): Promise<boolean>;
  /**
   * The WebAssembly heaps this model computes in, in bytes: `heapBytes`, the page's module
   * (shared by every model on the page), and `workerHeapBytes`, each CPU worker's own. A heap
   * grows and never shrinks, so in long use these stop growing once warm.
   */
  memoryUse(): Promise<{ heapBytes: number; workerHeapBytes: number[] }>;
  /**
   * Where the model runs. If the WebGPU device is lost (driver reset, GPU process crash), the
   * running call reloads the model on the CPU and finishes there: `backend` becomes 'cpu',
   * `note` says why, and later `load()`s on this page use the CPU.
   */
  readonly backend: 'webgpu' | 'cpu';
  /** How many workers (Web Workers, or Node.js worker threads) share the bank on the CPU (1: the calling thread alone). */
  readonly workers: number;
  /** The WebGPU adapter's name (vendor, architecture, description); '' on the CPU. */
  readonly adapter: string;
  /** The URL of the wasm module the page runs: `wasmModuleUrl()`'s choice, or `LoadOptions.wasmUrl`. */
  readonly wasmUrl: string;
  /** Why `backend` is not what was asked for: no WebGPU adapter, only a software one (with
   * `device: 'auto'`), or a lost device (empty string otherwise). */
  readonly note: string;
  /** How WebGPU runs RANGE over the bank: `'fused'` or `'stream'` (see
   * `LoadOptions.gpuAttention`); `''` on the CPU or without a bank. */
  readonly gpuAttention: 'fused' | 'stream' | '';
  /** Output width of the default variant. */
  readonly dim: number;
  /** Output width of a variant. */
  dimOf(variant: Variant): number;
  /**
   * The high-resolution part of one embedding row of `variant` (a view of its first columns,
   * before the encoder's; empty for `'encoder'`): what the bank's values say of a place, e.g.
   * for `rankBank`. `variant` defaults as `embed`'s does.
   */
  highPart(row: Float32Array, variant?: Variant): Float32Array;
  /**
   * Embeds points `[lon0, lat0, lon1, lat1, …]` (degrees). Resolves to `rows × dimOf(variant)`
   * values, row-major. Calls are queued, never interleaved. Rejects with `code`
   * `'bad_coordinate'` and the caller's `row` on a NaN coordinate or a latitude outside
   * [−90, 90]; longitudes wrap.
   */
  embed(lonLat: Float64Array | number[], options?: EmbedOptions): Promise<Float32Array>;
  /** The bank rows that weigh most in a point's RANGE / RANGE+ embedding, heaviest first. */
  explain(lon: number, lat: number, options?: { variant?: 'range' | 'range+'; /** @deprecated `variant` */ model?: 'range' | 'range+'; beta?: number; k?: number }):
    Promise<{ index: number; weight: number; lon: number; lat: number }[]>;
  /**
   * "Places like this": the `k` bank rows most alike to `vector` (cosine similarity),
   * world-wide, most alike first: an exact scan of the bank (BENCHMARKS.md, "Places like
   * this": a few ms for 50,000 rows).
   * @param vector as wide as the bank's values (`by: 'values'`, the default: e.g. the
   *   high-resolution part of a RANGE embedding, or a mean of several) or as its keys
   *   (`by: 'keys'`: an encoder output)
   */
  rankBank(vector: Float32Array | number[], options?: { by?: 'values' | 'keys'; k?: number }): Promise<SimilarPlace[]>;
  /**
   * The bank's places most like (`lon`, `lat`): `by: 'values'` (default) compares the point's
   * high-resolution part under `variant` with each row's value (what the bank says a place looks
   * like); `'keys'` compares the encoder's output with each row's key.
   */
  /** Fits a probe on the embeddings of labelled places (see `ProbeOptions`). */
  fitProbe(options: ProbeOptions): Promise<Probe>;
  /** A probe from `probe.toJSON()` or its text, for `model`: one fitted on another model is
   * refused (`pair_mismatch`), text that is not a probe too (`bad_file`). */
  static loadProbe(json: string | object, model: GeoRange): Probe;
  placesLike(lon: number, lat: number, options?: { variant?: 'range' | 'range+'; /** @deprecated `variant` */ model?: 'range' | 'range+'; beta?: number; by?: 'values' | 'keys'; k?: number }): Promise<SimilarPlace[]>;
  /** Frees the model; running and queued calls reject. */
  dispose(): void;
}

/**
 * The URL of the wasm module this browser runs, next to the package's script: the relaxed-SIMD
 * build (`georange_wasm_relaxed_bg.wasm`: its CPU loops use fused multiply-adds, 10–20%
 * faster) where WebAssembly validates relaxed SIMD (Chrome 114+), else the baseline SIMD build
 * (`georange_wasm_bg.wasm`). Both compute the same within f32 rounding. For a service worker's
 * precache list.
 */
export declare function wasmModuleUrl(): string;

export default GeoRange;
