// The shard protocol's rounds as the wasm module enforces them (src/wasm.rs, `ShardRound`;
// src/model/shard.rs): round 1 returns a handle, round 2 takes it once; a second use, or a use
// after the model was disposed, is refused with a code, never computed from another batch.
//
//   node --test tests/node/        (after ./build.sh)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/node-tests/rounds');
const pkg = (name) => import(pathToFileURL(path.join(root, 'pkg', name)));
const { default: init, WasmModel, shardBank, combineShards, addShardParts } = await pkg('georange_wasm.js');
const { shardFile } = await pkg('shards.js');

fs.mkdirSync(work, { recursive: true });
execFileSync(path.join(root, 'target/release/georange'), ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l10_f32.ckpt`,
  '--db', `${fixtures}/range_db_l10_f64.npz`, '--out', work], { stdio: 'ignore' });
await init({ module_or_path: fs.readFileSync(path.join(root, 'pkg/georange_wasm_bg.wasm')) });
const encoder = fs.readFileSync(`${work}/encoder.safetensors`);
const bank = new Uint8Array(fs.readFileSync(`${work}/bank.safetensors`));

/** Both shards of the bank, each loaded as a worker loads its own. */
async function shards() {
  const files = Array.from(shardBank(bank, 2), (cut) => shardFile(cut, bank));
  return Promise.all(files.map((f) => WasmModel.loadShard(encoder, f, undefined)));
}

test('a round is taken once, by the model that scored it; the rows are those of one bank', async () => {
  const parts = await shards();
  const whole = await WasmModel.load(encoder, bank, 'cpu');
  const points = Float64Array.of(12.5, 41.9, -70, -20, 151.2, -33.9);
  const rounds = parts.map((m) => m.scoreShard(points, 'range+', 0.5, new Uint8Array(0), 0));
  const c = combineShards(Float32Array.from(rounds.flatMap((r) => Array.from(r.max))), Float64Array.from(rounds.flatMap((r) => Array.from(r.sum))),
    rounds[0].weights, rounds[0].pruned, rounds.length);
  const len = c.coef.length / rounds.length;
  const coef = rounds.map((_, s) => c.coef.slice(s * len, (s + 1) * len));
  const q = rounds[0].q;
  const out = rounds.map((r, s) => r.accumulate(coef[s]));
  const rows = addShardParts(Float32Array.from(out.flatMap((o) => Array.from(o))), 2, q, 3, 0);
  const want = await whole.embedBatch(points, 'range+', 0.5, 0);
  const worst = Math.max(...Array.from(rows, (v, i) => Math.abs(v - want[i]))) / Math.max(...Array.from(want, Math.abs));
  assert.ok(worst <= 1e-5, `two shards vs one bank: ${worst}`);
  // Round 2 again on a used round: refused with a code, in accumulate, explain and its report.
  for (const again of [() => rounds[0].accumulate(coef[0]), () => rounds[0].explain(coef[0], 3), () => rounds[0].max]) {
    assert.throws(again, (e) => e.code === 'invalid_argument' && /used already/.test(e.message));
  }
  // A round whose model was disposed meanwhile: refused.
  const late = parts[1].scoreShard(points, 'range', 0.5, new Uint8Array(0), 0);
  parts[1].dispose();
  assert.throws(() => late.accumulate(Float32Array.of(1, 1, 1)), (e) => e.code === 'disposed');
  // A bad coordinate in a batch that starts at the caller's row 40 names row 41.
  assert.throws(() => parts[0].scoreShard(Float64Array.of(0, 0, 0, 91), 'range', 0.5, new Uint8Array(0), 40),
    (e) => e.code === 'bad_coordinate' && e.row === 41 && e.message.startsWith('row 41:'));
  for (const r of [...rounds, late]) r.free();
  for (const m of [...parts, whole]) m.free();
  c.free();
});
