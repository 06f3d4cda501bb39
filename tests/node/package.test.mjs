// The npm package (pkg/, made by build.sh) in Node.js, as a build-time script uses it: files
// given as bytes, as paths and as file: URLs, embedded on the CPU and compared with the native
// CLI; errors carry their codes. Run by test.sh after the browser tests (which write the
// native outputs this compares with):
//
//   node --test tests/node/
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../browser/npy.mjs';
import { worstRelative } from './rows.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');
const work = path.join(root, 'out/node-tests');
const cli = path.join(root, 'target/release/georange');
const { GeoRange, GeoRangeError } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));

fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`,
  '--dtype', 'int8', '--out', `${work}/l40`], { stdio: 'ignore' });
execFileSync(cli, ['embed', '--encoder', `${work}/l40/encoder.safetensors`, '--bank', `${work}/l40/bank.safetensors`,
  '--model', 'range+', '--beta', '0.5', '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_b05.npy`], { stdio: 'ignore' });
const points = fs.readFileSync(`${fixtures}/queries.csv`, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).flatMap(([, lat, lon]) => [Number(lon), Number(lat)]);
const encoderPath = `${work}/l40/encoder.safetensors`;
const bankPath = `${work}/l40/bank.safetensors`;

test('GeoRange.version is the workspace version (Cargo.toml), as package.json says', () => {
  const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const version = cargo.split('[workspace.package]')[1].match(/^version = "([^"]+)"/m)[1];
  assert.equal(GeoRange.version, version);
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'pkg/package.json'), 'utf8')).version, version);
});

test('the packed tarball is clean under publint and arethetypeswrong (ESM only, .wasm assets aside), ≤ 6 MB, licences in', () => {
  const dir = fs.mkdtempSync(path.join(work, 'pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: path.join(root, 'pkg'), encoding: 'utf8' }).trim().split('\n').pop();
  const tarball = path.join(dir, name);
  const bin = (tool) => path.join(root, 'node_modules/.bin', tool);
  // Each exits non-zero on a problem; the message says which.
  const publint = execFileSync(bin('publint'), ['run', '--strict', tarball], { encoding: 'utf8' });
  assert.match(publint, /All good/);
  execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--exclude-entrypoints', './georange_wasm_bg.wasm', './georange_wasm_relaxed_bg.wasm', '--format', 'ascii'], { encoding: 'utf8' });
  const size = fs.statSync(tarball).size;
  assert.ok(size <= 6e6, `the tarball is ${size} bytes`);
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  for (const f of ['package/LICENSE-MIT', 'package/LICENSE-APACHE', 'package/README.md']) assert.ok(listed.includes(f), `${f} is not in the tarball`);
  const meta = JSON.parse(fs.readFileSync(path.join(root, 'pkg/package.json'), 'utf8'));
  assert.equal(meta.license, 'MIT OR Apache-2.0');
  assert.ok(meta.engines?.node, 'no engines.node');
});

test('files as bytes, paths and file: URLs embed on the CPU as the native CLI does (≤ 1e-5)', async () => {
  const native = readNpy(`${work}/native_b05.npy`);
  const sources = [
    { encoder: fs.readFileSync(encoderPath), bank: fs.readFileSync(bankPath) },
    { encoder: encoderPath, bank: bankPath },
    { encoder: pathToFileURL(encoderPath), bank: pathToFileURL(bankPath).href },
  ];
  for (const files of sources) {
    const progress = [];
    const model = await GeoRange.load({ ...files, onProgress: (p) => progress.push(p.file) });
    assert.equal(model.backend, 'cpu');
    // No WebGPU in plain Node.js: 'auto' runs on the CPU and says why.
    assert.match(model.note, /WebGPU unavailable/);
    assert.equal(model.dim, native.shape[1]);
    const out = await model.embed(Float64Array.from(points), { variant: 'range+', beta: 0.5 });
    assert.ok(worstRelative(out, native.data, native.shape[1]) <= 1e-5);
    if (typeof files.encoder === 'string') assert.deepEqual([...new Set(progress)].sort(), ['bank', 'encoder']);
    model.dispose();
  }
});

test('errors carry codes: a missing file, a bad coordinate with its row, no WebGPU, a disposed model', async () => {
  const missing = await GeoRange.load({ encoder: `${work}/nope.safetensors` }).catch((e) => e);
  assert.ok(missing instanceof GeoRangeError);
  assert.equal(missing.code, 'io');
  const model = await GeoRange.load({ encoder: encoderPath, bank: bankPath, device: 'cpu' });
  const bad = await model.embed([0, 0, 10, 10, 5, 95], { batchSize: 2 }).catch((e) => e);
  assert.equal(bad.code, 'bad_coordinate');
  assert.equal(bad.row, 2);
  // In the 3rd batch of a call: the core names the caller's row, in `row` and in the message.
  const third = await model.embed([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 95, 6, 6], { batchSize: 2 }).catch((e) => e);
  assert.equal(third.code, 'bad_coordinate');
  assert.equal(third.row, 5);
  assert.match(third.message, /^row 5: latitude 95/);
  // The variant's old option name still works (with a note on the console), as `variant`.
  const [old, now] = [await model.embed([1, 2], { model: 'range' }), await model.embed([1, 2], { variant: 'range' })];
  assert.deepEqual(Array.from(old), Array.from(now));
  assert.equal(model.highPart(now, 'range').length, model.dimOf('range') - model.dimOf('encoder'));
  assert.equal(model.highPart(now, 'encoder').length, 0);
  const truncated = fs.readFileSync(bankPath).subarray(0, 5000);
  const badBank = await GeoRange.load({ encoder: encoderPath, bank: truncated }).catch((e) => e);
  assert.equal(badBank.code, 'bad_file');
  const gpu = await GeoRange.load({ encoder: encoderPath, device: 'webgpu' }).catch((e) => e);
  assert.equal(gpu.code, 'unavailable');
  // The device is decided before the files are waited for: a missing bank is not what fails.
  const early = await GeoRange.load({ encoder: encoderPath, bank: `${work}/nope.safetensors`, device: 'webgpu' }).catch((e) => e);
  assert.equal(early.code, 'unavailable');
  const tpu = await GeoRange.load({ encoder: encoderPath, device: 'tpu' }).catch((e) => e);
  assert.equal(tpu.code, 'invalid_argument');
  model.dispose();
  const after = await model.embed([0, 0]).catch((e) => e);
  assert.equal(after.code, 'disposed');
});
