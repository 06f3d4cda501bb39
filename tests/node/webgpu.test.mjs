// The npm package on WebGPU in Node.js, through Dawn (the `webgpu` npm package: the WebGPU
// implementation Chromium uses) installed as `navigator.gpu`, as the README shows. This
// machine has no GPU, and Dawn refuses Mesa's lavapipe, so Dawn runs on SwiftShader's Vulkan
// driver from Debian's chromium package (which test.sh installs). Compared with the native
// CLI: cosine ≥ 0.999 on every row (the browser tests' WebGPU tolerance).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../browser/npy.mjs';
import { worstCosine } from './rows.mjs';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.VK_ICD_FILENAMES = SWIFTSHADER;
process.env.XDG_RUNTIME_DIR ??= fs.mkdtempSync('/tmp/xdg-');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, 'out/node-tests');
const fixtures = path.join(root, 'tests/fixtures');
const encoder = `${work}/l40-f32/encoder.safetensors`;
const bank = `${work}/l40-f32/bank.safetensors`;
const cli = path.join(root, 'target/release/georange');

fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['convert', 'satclip', '--ckpt', `${fixtures}/satclip_l40.ckpt`, '--db', `${fixtures}/range_db_l40.npz`,
  '--out', `${work}/l40-f32`], { stdio: 'ignore' });
execFileSync(cli, ['embed', '--encoder', encoder, '--bank', bank, '--model', 'range+', '--beta', '0.5',
  '--input', `${fixtures}/queries.csv`, '--output', `${work}/native_l40_f32.npy`], { stdio: 'ignore' });
const native = readNpy(`${work}/native_l40_f32.npy`);
const points = Float64Array.from(fs.readFileSync(`${fixtures}/queries.csv`, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).flatMap(([, lat, lon]) => [Number(lon), Number(lat)]));

test('with Dawn as navigator.gpu, device "webgpu" runs on it and embeds as the native CLI does (cosine ≥ 0.999)', async () => {
  assert.ok(fs.existsSync(SWIFTSHADER), `${SWIFTSHADER} is missing: install Debian's chromium`);
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
  const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));

  const gpu = await GeoRange.load({ encoder, bank, device: 'webgpu' });
  assert.equal(gpu.backend, 'webgpu');
  assert.match(gpu.adapter, /swiftshader/i);
  const out = await gpu.embed(points, { variant: 'range+', beta: 0.5 });
  assert.ok(worstCosine(out, native.data, native.shape[1]) >= 0.999);
  // 'auto' passes over a software adapter, as in a browser, and says so.
  const auto = await GeoRange.load({ encoder, bank });
  assert.equal(auto.backend, 'cpu');
  assert.match(auto.note, /software adapter/);
  // The placeholder global wgpu needed is gone again.
  assert.equal(typeof globalThis.WorkerGlobalScope, 'undefined');
  gpu.dispose();
  auto.dispose();
});
