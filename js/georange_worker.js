// A georange CPU worker (a Web Worker or a Node.js worker thread: js/threads.js): holds one shard of the bank (contiguous rows of the bank file) and
// runs each batch's two rounds on it for js/shards.js (see src/model/shard.rs). Messages in:
// `{ id, op, args }`; out: `{ id, result }` or `{ id, error }`. Typed arrays go back transferred.

import init, { WasmModel, shardBank } from './georange_wasm.js';
import { shardFile } from './shards.js';
import { GeoRangeError, toMessage } from './errors.js';
import { inNode, nodeModule } from './runtime.js';

let model = null;
/** Round 1 of each batch in flight (`ShardRound`s, src/wasm.rs), by id, until its round 2
 * takes it: a round is used once, by the model that scored it. */
const rounds = new Map();
let nextRound = 0;
/** This worker's WebAssembly memory (for `memory`). */
let memory = null;

const VARIANTS = ['encoder', 'range', 'range+'];

const ops = {
  /** Instantiates the module the main thread compiled (again in `load` and `shard`: a no-op
   * once done). */
  async init({ wasm }) {
    memory = (await init({ module_or_path: wasm })).memory;
    return null;
  },
  /** The size of this worker's WebAssembly heap, bytes. */
  memory: () => memory?.buffer.byteLength ?? 0,
  async load({ wasm, encoder, bank, geoCutoffDeg }) {
    await init({ module_or_path: wasm });
    model = await WasmModel.loadShard(encoder, bank, geoCutoffDeg);
    const dims = Object.fromEntries(VARIANTS.map((v) => [v, model.dim(v)]));
    const highDims = Object.fromEntries(VARIANTS.map((v) => [v, model.highDim(v)]));
    // Per model: a few points with the cut-off (the CPU kernel's passes keep their scores between
    // the rounds), a whole batch without it (the stream scores again).
    // Per arithmetic too: int8 rounds all take the CPU kernel's passes.
    const shardBatch = Object.fromEntries(['exact', 'int8'].map((c) => [c, { range: model.shardBatch('range', 0.5, c), 'range+': model.shardBatch('range+', 0.5, c) }]));
    return { rows: model.bankRows, shardBatch, dims, highDims, identity: model.identity };
  },
  /** Cuts the bank file into `count` files; the main thread then ends this worker, and the
   * memory its WebAssembly heap grew to for the whole bank goes with it. The module verifies
   * the file and says where each shard's bytes lie in it; the shards are put together here,
   * from `bank` itself, so the heap never holds them. */
  async shard({ wasm, bank, count }) {
    await init({ module_or_path: wasm });
    return { files: Array.from(shardBank(bank, count), (cut) => shardFile(cut, bank)) };
  },
  score({ lonLat, variant, beta, exactGeo, firstRow, compute }) {
    const r = model.scoreShard(lonLat, variant, beta, exactGeo, firstRow, compute ?? 'exact');
    const round = nextRound++;
    rounds.set(round, r);
    return { round, max: r.max, sum: r.sum, q: r.q, weights: r.weights, pruned: r.pruned };
  },
  accumulate: ({ round, coef }) => secondRound(round, (r) => r.accumulate(coef)),
  explain: ({ round, coef, k }) => secondRound(round, (r) => r.explain(coef, k)),
  drop: ({ round }) => secondRound(round, () => null),
  similar: ({ query, by, k }) => model.similarRows(query, by, k),
  embed: ({ lonLat, variant, beta, firstRow, compute }) => model.embedBatch(lonLat, variant, beta, firstRow, compute ?? 'exact'),
};

/** Runs `use` on the round `id` that `score` returned, once: an unknown or used id is refused. */
function secondRound(id, use) {
  const r = rounds.get(id);
  if (!r) throw new GeoRangeError(`no shard round ${id} here (used already, or never scored)`, 'invalid_argument');
  rounds.delete(id);
  try {
    return use(r);
  } finally {
    r.free();
  }
}

/** The ArrayBuffers of the typed arrays in `result` (one level deep). */
function buffers(result) {
  const values = ArrayBuffer.isView(result) ? [result] : Object.values(result ?? {});
  return values.filter((v) => ArrayBuffer.isView(v)).map((v) => v.buffer);
}

/** Runs one message's op and posts its result or error back through `port`. */
async function handle(port, { id, op, args }) {
  try {
    if (!['init', 'load', 'shard', 'memory'].includes(op) && !model) throw new GeoRangeError('the worker has no model loaded', 'invalid_argument');
    const result = await ops[op](args);
    port.postMessage({ id, result }, [...buffers(result), ...buffers(result?.files)]);
  } catch (e) {
    port.postMessage({ id, error: toMessage(e) });
  }
}

// A Web Worker's messages come to `self`; a Node.js worker thread's to its `parentPort`.
// (No top-level await: bundlers emit workers in formats without it.)
if (inNode) {
  nodeModule('node:worker_threads').then(({ parentPort }) => parentPort.on('message', (data) => handle(parentPort, data)));
} else {
  self.onmessage = ({ data }) => handle(self, data);
}
