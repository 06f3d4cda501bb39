// georange's own probe (the npm package's WebAssembly, as a page runs it) on the jobs of
// tools/eval/probe_eval.py: for each task and feature set, spatial block cross-validation
// (WasmProbe.crossValidate, the core's src/probe/cv.rs) per seed, and the time of one fit.
//
//   node tools/eval/probe_eval.mjs out/eval/probe/jobs.json out/eval/probe/georange.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpy } from '../../tests/browser/npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [jobsFile, outFile] = process.argv.slice(2);
const { initWasm } = await import(pathToFileURL(path.join(root, 'pkg/runtime.js')));
await initWasm();
const { WasmProbe } = await import(pathToFileURL(path.join(root, 'pkg/georange_wasm.js')));

const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
const results = [];
for (const job of jobs) {
  const { shape, data } = readNpy(path.join(path.dirname(jobsFile), job.x));
  const x = Float32Array.from(data);
  const dim = shape[1];
  const [classes, values] = job.kind === 'classify' ? [job.labels, null] : [null, Float64Array.from(job.labels)];
  const points = Float64Array.from(job.points);
  const t0 = performance.now();
  const probe = WasmProbe.fit(x, dim, classes, values, job.kind, null, job.C, job.alpha, 5, true, 'eval', 'range+', 0.5);
  const fitMs = performance.now() - t0;
  const seeds = job.seeds.map((seed) => {
    const flat = probe.crossValidate(points, x, classes, values, job.blockDegrees, job.folds, seed);
    const folds = [];
    for (let i = 0; i < flat.length; i += 4) folds.push({ train: flat[i], test: flat[i + 1], score: flat[i + 2] });
    return folds;
  });
  probe.free();
  results.push({ task: job.task, feature: job.feature, fitMs, seeds });
  console.log(`${job.task.padEnd(14)} ${job.feature.padEnd(22)} fitted in ${fitMs.toFixed(0)} ms (${shape[0]} × ${dim})`);
}
fs.writeFileSync(outFile, JSON.stringify(results));
