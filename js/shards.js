// The bank split over CPU workers: each worker (js/georange_worker.js; a Web Worker, or a
// Node.js worker thread: js/threads.js) holds a contiguous
// part of the bank's rows, and every batch takes two rounds over all of them (src/model/shard.rs):
// each scores the batch against its rows and reports its softmax maxima and sums; the main
// thread combines those (`combineShards`) into each shard's coefficients; each adds its value
// rows with them; the parts add up to what one bank computes. The workers run at once, one
// core each: the browser's CPU path is otherwise a single WebAssembly thread. The encoder
// alone needs no bank: its large batches are split over the workers by points.
//
// `ShardedModel` is an `Engine` (js/georange.js), as the wasm `WasmModel` is.

import { addShardParts, combineShards } from './georange_wasm.js';
import { GeoRangeError, asGeoRangeError, disposed } from './errors.js';
import { startWorker } from './threads.js';

/** The bytes of one shard that `shardBank` cut from `bank` (and frees): its `header`, then the
 * runs `pieces` (start, end, …) of `bank`. */
export function shardFile(cut, bank) {
  try {
    const [header, pieces] = [cut.header, cut.pieces];
    let length = header.length;
    for (let i = 0; i < pieces.length; i += 2) length += pieces[i + 1] - pieces[i];
    const out = new Uint8Array(length);
    out.set(header);
    let at = header.length;
    for (let i = 0; i < pieces.length; i += 2) {
      out.set(bank.subarray(pieces[i], pieces[i + 1]), at);
      at += pieces[i + 1] - pieces[i];
    }
    return out;
  } finally {
    cut.free();
  }
}

/** A worker that could not start or died (not an error in the model files). */
export class WorkerUnavailable extends GeoRangeError {
  constructor(message) { super(message, 'worker_failed'); }
}

/** One worker (js/threads.js) and its pending calls. */
class ShardWorker {
  /** Starts a worker; rejects with `WorkerUnavailable` where none can start. */
  static async start() {
    const shard = new ShardWorker();
    try {
      shard._worker = await startWorker((data) => shard._receive(data), (why) => shard._fail(`a georange CPU worker failed: ${why}`));
    } catch (e) {
      throw new WorkerUnavailable(`cannot start a georange CPU worker: ${e?.message ?? e}`);
    }
    return shard;
  }

  /** @private */
  constructor() {
    this._pending = new Map();
    this._next = 0;
    this._failed = null;
  }

  /** @private A message from the worker: one call's result or error. */
  _receive({ id, result, error }) {
    const call = this._pending.get(id);
    this._pending.delete(id);
    if (this._pending.size === 0) this._worker.busy(false);
    if (error !== undefined) call?.reject(asGeoRangeError(error));
    else call?.resolve(result);
  }

  /** @private Rejects every pending call, and every later one, with `why`. */
  _fail(why) {
    if (this._failed) return;
    this._failed = why;
    for (const call of this._pending.values()) call.reject(new WorkerUnavailable(why));
    this._pending.clear();
    this._worker?.busy(false);
  }

  call(op, args, transfer = []) {
    if (this._failed) return Promise.reject(new WorkerUnavailable(this._failed));
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._worker.busy(true);
      this._worker.postMessage({ id, op, args }, transfer);
    });
  }

  terminate(why) {
    this._fail(why);
    this._worker.terminate();
  }
}

/** Concatenates typed arrays of one type. */
function concat(arrays, Type) {
  const out = new Type(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) { out.set(a, at); at += a.length; }
  return out;
}

/** The fewest points a worker encodes when the encoder alone is split over the workers: a
 * batch's matrix products lose speed in smaller slices (the demo's GeoCLIP: 200 points ran
 * no faster in two slices than in one, 1,000 ran 1.4–1.9× faster in two; BENCHMARKS.md). */
const ENCODE_SLICE = 128;


export class ShardedModel {
  /**
   * Cuts the bank file into `count` shards and loads one on each of `count` workers.
   * `wasmModule`: the compiled module, which every worker instantiates (compiled once).
   * @param {{encoder: Uint8Array, bank: Uint8Array, count: number, wasmModule: WebAssembly.Module, geoCutoffDeg?: number}} options
   */
  static async load({ encoder, bank, count, wasmModule: wasm, geoCutoffDeg }) {
    const pool = [];
    try {
      for (let i = 0; i < count; i++) pool.push(await ShardWorker.start());
      // The workers instantiate the module while the bank is cut, in a worker of its own that
      // ends at once: the heap it grows to for the whole file (the file and its shards) is
      // freed, as this thread's would not be.
      const started = pool.map((w) => w.call('init', { wasm }));
      // Should the slicer fail first, these reject unawaited when the pool is torn down: handled.
      started.forEach((p) => p.catch(() => {}));
      const slicer = await ShardWorker.start();
      const { files } = await slicer.call('shard', { wasm, bank, count }).finally(() => slicer.terminate('done'));
      await Promise.all(started);
      // A bank of fewer rows than workers has fewer shards.
      pool.splice(files.length).forEach((w) => w.terminate('not needed'));
      const infos = await Promise.all(pool.map((w, i) => w.call('load', { wasm, encoder, bank: files[i], geoCutoffDeg }, [files[i].buffer])));
      return new ShardedModel(pool, infos);
    } catch (e) {
      pool.forEach((w) => w.terminate('the model failed to load'));
      throw e;
    }
  }

  /** @private */
  constructor(pool, infos) {
    this._pool = pool;
    this._dims = infos[0].dims;
    this._highDims = infos[0].highDims;
    /** What a probe records of the model (every shard says the same: `Model::identity`). */
    this.identity = infos[0].identity;
    // shardBatch[compute][variant]: the fewest any shard takes.
    this._shardBatch = Object.fromEntries(['exact', 'int8'].map((c) => [c, Object.fromEntries(['range', 'range+'].map((m) => [m, Math.min(...infos.map((i) => i.shardBatch[c][m]))]))]));
    // Each shard's first row in the whole bank.
    this._starts = infos.map((_, s) => infos.slice(0, s).reduce((n, i) => n + i.rows, 0));
    this._disposed = false;
  }

  get backend() { return 'cpu'; }
  get gpuAttention() { return ''; }
  get note() { return ''; }
  /** How many workers hold the bank. */
  get workers() { return this._pool.length; }

  /** Each worker's WebAssembly heap, bytes. */
  workerHeapBytes() {
    if (this._disposed) return Promise.reject(disposed());
    return Promise.all(this._pool.map((w) => w.call('memory', {})));
  }

  dim(variant) {
    return this._known(this._dims, variant);
  }

  highDim(variant) {
    return this._known(this._highDims, variant);
  }

  /** @private `table[variant]`, as each worker's model reported it. */
  _known(table, variant) {
    const d = table[variant];
    if (d === undefined) throw new GeoRangeError(`invalid argument: unknown variant ${JSON.stringify(variant)} (expected encoder, range or range+)`, 'invalid_argument');
    return d;
  }

  /** Embeds one batch, rows `firstRow…` of the caller's input, in slices of at most the
   * shards' batch for `variant`. */
  async embedBatch(lonLat, variant, beta, firstRow = 0, compute = 'exact') {
    this._live();
    const points = lonLat.length / 2;
    if (points === 0) return this._pool[0].call('embed', { lonLat: lonLat.slice(), variant, beta, firstRow }); // it reports the empty input
    if (variant === 'encoder') return this._encode(lonLat, points, firstRow);
    const out = new Float32Array(points * this.dim(variant));
    const step = this._known(this._shardBatch[compute], variant);
    for (let start = 0; start < points; start += step) {
      const end = Math.min(points, start + step);
      // A copy of just these points: a message would carry a view's whole buffer.
      const rows = await this._batch(lonLat.slice(start * 2, end * 2), variant, beta, firstRow + start, compute);
      out.set(rows, start * (out.length / points));
    }
    return out;
  }

  /** @private The encoder alone needs no bank: the points are split over the workers (at
   * least `ENCODE_SLICE` each, so a few points go to one worker alone). */
  async _encode(lonLat, points, firstRow) {
    const parts = Math.max(1, Math.min(this._pool.length, Math.floor(points / ENCODE_SLICE)));
    const per = Math.ceil(points / parts);
    const slices = await Promise.allSettled(this._pool.slice(0, parts).map((w, i) => {
      const [start, end] = [i * per, Math.min(points, (i + 1) * per)];
      return w.call('embed', { lonLat: lonLat.slice(start * 2, end * 2), variant: 'encoder', beta: 0, firstRow: firstRow + start });
    }));
    // The first slice's error names the first bad row, as one worker would.
    const failed = slices.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return concat(slices.map((r) => r.value), Float32Array);
  }

  /** The `k` heaviest bank rows of one point: every shard's heaviest, merged. */
  async explain(lon, lat, variant, beta, k) {
    this._live();
    // Explanations are exact: every shard ignores the cut-off, as `GeoRange` on one thread does.
    const round = await this._round(Float64Array.of(lon, lat), variant, beta, Uint8Array.of(1), 0);
    const tops = await this._each((w, s, coef) => w.call('explain', { round: round.rounds[s], coef, k }), round.coef);
    return this._merged(tops, k);
  }

  /** The `k` bank rows most alike to `query` (see `WasmModel.similarRows`): every shard's
   * most alike, merged. */
  async similarRows(query, by, k) {
    this._live();
    const tops = await Promise.all(this._pool.map((w) => w.call('similar', { query, by, k })));
    return this._merged(tops, k);
  }

  /** @private Each shard's `[row, score, lon, lat]` lists (rows counted within the shard)
   * as one, the `k` highest scores first, rows counted in the whole bank. */
  _merged(tops, k) {
    const rows = [];
    tops.forEach((flat, s) => {
      for (let i = 0; i < flat.length; i += 4) rows.push([flat[i] + this._starts[s], flat[i + 1], flat[i + 2], flat[i + 3]]);
    });
    rows.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return Float64Array.from(rows.slice(0, k).flat());
  }

  /** Terminates the workers; running calls reject. */
  dispose() {
    this._disposed = true;
    this._pool.forEach((w) => w.terminate('the model was disposed'));
  }

  /** @private Both rounds for at most `shardBatch` points, rows `firstRow…` of the caller's
   * input: their output rows. */
  async _batch(lonLat, variant, beta, firstRow, compute) {
    let round = await this._round(lonLat, variant, beta, new Uint8Array(0), firstRow, compute);
    // Points that no shard has a row near (the cut-off) get the exact geographic head; each
    // worker drops the first round it kept (a round is taken once: src/wasm.rs, ShardRound).
    if (round.missing.some((m) => m)) {
      await this._each((w, s) => w.call('drop', { round: round.rounds[s] }), round.coef);
      round = await this._round(lonLat, variant, beta, round.missing, firstRow, compute);
    }
    const parts = await this._each((w, s, coef) => w.call('accumulate', { round: round.rounds[s], coef }), round.coef);
    return addShardParts(concat(parts, Float32Array), parts.length, round.q, lonLat.length / 2, firstRow);
  }

  /** @private Round 1 on every shard, combined; `rounds`: each worker's handle for round 2. */
  async _round(lonLat, variant, beta, exactGeo, firstRow, compute = 'exact') {
    const settled = await Promise.allSettled(this._pool.map((w) => w.call('score', { lonLat, variant, beta, exactGeo, firstRow, compute })));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      // The rounds that were scored are dropped, not kept for a second round that never comes.
      settled.forEach((r, s) => { if (r.status === 'fulfilled') this._pool[s].call('drop', { round: r.value.round }).catch(() => {}); });
      throw failed.reason;
    }
    const reports = settled.map((r) => r.value);
    this._live();
    const combined = combineShards(
      concat(reports.map((r) => r.max), Float32Array),
      concat(reports.map((r) => r.sum), Float64Array),
      reports[0].weights,
      reports[0].pruned,
      reports.length,
    );
    try {
      return { coef: combined.coef, missing: combined.missing, q: reports[0].q, rounds: reports.map((r) => r.round) };
    } finally {
      combined.free();
    }
  }

  /** @private `call(worker, shard, its slice of coef)` on every shard at once. */
  _each(call, coef) {
    const len = coef.length / this._pool.length;
    return Promise.all(this._pool.map((w, s) => call(w, s, coef.slice(s * len, (s + 1) * len))));
  }

  /** @private */
  _live() {
    if (this._disposed) throw disposed();
  }
}
