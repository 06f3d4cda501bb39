// The browser benchmark (bench.html): points/s of embed() for each model and batch size on the
// device asked for. Results also go to window.benchResults for tools/bench/bench_browser.mjs.
import { GeoRange } from './pkg/georange.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const options = {
  encoder: params.get('encoder') ?? 'models/fixture/encoder.safetensors',
  bank: params.get('bank') ?? 'models/fixture/bank.safetensors',
  device: params.get('device') ?? 'auto',
  batches: (params.get('batches') ?? '1,1000').split(',').map(Number),
  models: (params.get('models') ?? 'encoder,range,range+').split(','),
  gpuAttention: params.get('gpuAttention') ?? undefined,
  gpuPrecision: params.get('gpuPrecision') ?? undefined,
  // CPU workers: 'auto' (the package's default) or a count.
  workers: params.get('workers') === null || params.get('workers') === 'auto' ? 'auto' : Number(params.get('workers')),
  // The package's wasm module: 'baseline' or 'relaxed' (default: the one this browser runs).
  wasmUrl: { baseline: 'pkg/georange_wasm_bg.wasm', relaxed: 'pkg/georange_wasm_relaxed_bg.wasm' }[params.get('wasm')],
};
window.benchResults = [];
window.benchDone = false;

/** `n` points uniform on the sphere, from a fixed-seed generator (mulberry32). */
function points(n, seed = 7) {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = rand() * 360 - 180;
    out[2 * i + 1] = (Math.asin(2 * rand() - 1) * 180) / Math.PI;
  }
  return out;
}

function row(cells) {
  const tr = document.createElement('tr');
  tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
  $('results').tBodies[0].append(tr);
}

async function time(model, input, opts) {
  const t0 = performance.now();
  await model.embed(input, opts);
  return performance.now() - t0;
}

async function run() {
  $('run').disabled = true;
  const t0 = performance.now();
  $('status').textContent = 'loading…';
  const model = await GeoRange.load({
    encoder: options.encoder, bank: options.bank || undefined, device: options.device, cache: false, gpuAttention: options.gpuAttention, gpuPrecision: options.gpuPrecision, workers: options.workers, wasmUrl: options.wasmUrl,
  });
  const loadMs = performance.now() - t0;
  $('setup').textContent = `encoder ${options.encoder}, bank ${options.bank || '(none)'} on ${model.backend}${model.workers > 1 ? ` (${model.workers} workers)` : ''}${model.backend === 'cpu' ? `, ${model.wasmUrl.split('/').pop()}` : ''}` +
    `${model.adapter ? ` (${model.adapter})` : ''}${options.gpuAttention ? `, ${options.gpuAttention} attention` : ''}${options.gpuPrecision ? `, ${options.gpuPrecision} on the GPU` : ''}${model.note ? ` — ${model.note}` : ''}; loaded in ${loadMs.toFixed(0)} ms; ${navigator.userAgent}`;
  for (const name of options.models) {
    if (name !== 'encoder' && !options.bank) continue;
    for (const batch of options.batches) {
      $('status').textContent = `${name}, batch ${batch}…`;
      const input = points(batch);
      const opts = { variant: name, beta: 0.5, batchSize: batch };
      // Warm-up: shaders, caches, and the engine's optimising tier (V8 takes a hot WebAssembly
      // function over on a later call, in every worker separately; single points settle after
      // about 15 calls, batches after 2–3).
      for (let i = 0; i < (batch === 1 ? 20 : 3); i++) await time(model, input.subarray(0, Math.min(batch, 16) * 2), opts);
      let ms;
      if (batch === 1) {
        const runs = [];
        for (let i = 0; i < 21; i++) runs.push(await time(model, input, opts));
        ms = runs.sort((a, b) => a - b)[10]; // the median
      } else {
        ms = await time(model, input, opts);
      }
      const result = { model: name, batch, backend: model.backend, workers: model.workers, ms, pointsPerSecond: (batch * 1000) / ms };
      window.benchResults.push(result);
      row([name, batch, result.pointsPerSecond.toFixed(batch === 1 ? 1 : 0), ms.toFixed(batch === 1 ? 2 : 0)]);
    }
  }
  model.dispose();
  $('status').textContent = 'done';
  $('run').disabled = false;
  window.benchDone = true;
}

$('run').addEventListener('click', () => run().catch((e) => { $('status').textContent = `error: ${e.message}`; window.benchError = e.message; window.benchDone = true; }));
if (params.get('auto') === '1') $('run').click();
