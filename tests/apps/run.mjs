// The npm package where web developers put it (issue 30), in headless Chromium:
//  - installed from its tarball (`npm pack pkg/`) into a tiny app (tests/apps/app/), which is
//    built with Vite, webpack 5 and esbuild (pinned in package.json) and served;
//  - in each build: the demo's 38 MB Blue Marble bank on CPU workers (`workers: 'auto'`) and on
//    one thread, each against the native CLI; no uncaught error, and a worker script that fails
//    to load falls back to one thread with a `note`; in the Vite build, on WebGPU (SwiftShader)
//    too (the same module and glue, loaded the same way, as the one-thread run that every
//    build checks; on SwiftShader it took 25 s a build);
//  - the package served from another origin than the page (a CDN), workers included.
// (The webpack build is configured as its documentation's minimal example: `filename` only.)
// Tolerances: the CPU paths match the native CPU path (relative error ≤ 1e-5 per row);
// WebGPU, cosine ≥ 0.999 on every row (as the browser tests' WebGPU-vs-golden check).
//
//   node tests/apps/run.mjs           (after ./build.sh; needs Debian's chromium)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tools/dev/serve.mjs';
import { assert, compareRows, launch, results, test } from '../browser/lib.mjs';
import { readNpy } from '../browser/npy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, 'out/apps');
const cli = path.join(root, 'target/release/georange');
const models = path.join(root, 'www/models/geoclip');
const MODEL = { encoder: 'models/encoder.safetensors', bank: 'models/bluemarble-bank.safetensors' };
const queries = path.join(root, 'tests/fixtures/queries.csv');
const points = fs.readFileSync(queries, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).flatMap(([, lat, lon]) => [Number(lon), Number(lat)]);

// ---- the native CLI's output, and the package installed as a user installs it ----
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
execFileSync(cli, ['embed', '--encoder', `${models}/encoder.safetensors`, '--bank', `${models}/bluemarble-bank.safetensors`,
  '--model', 'range+', '--beta', '0.5', '--input', queries, '--output', `${work}/native.npy`], { stdio: 'ignore' });
const native = readNpy(`${work}/native.npy`);
const tarball = execFileSync('npm', ['pack', path.join(root, 'pkg'), '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop();

/** A copy of tests/apps/app with the package's tarball unpacked as node_modules/georange. */
function appDir(name) {
  const dir = path.join(work, name);
  fs.cpSync(path.join(root, 'tests/apps/app'), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  execFileSync('tar', ['xzf', path.join(work, tarball), '-C', path.join(dir, 'node_modules')]);
  fs.renameSync(path.join(dir, 'node_modules/package'), path.join(dir, 'node_modules/georange'));
  return dir;
}

/** The HTML page that loads a bundle that is not built from index.html (webpack, esbuild). */
const page = (script) => fs.readFileSync(path.join(root, 'tests/apps/app/index.html'), 'utf8').replace('./main.js', script);

// Each bundler builds the app into <dir>/dist, as its documentation shows.
const BUNDLERS = {
  async vite(dir) {
    const { build } = await import('vite');
    await build({ root: dir, base: './', configFile: false, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
  },
  async webpack(dir) {
    const { default: webpack } = await import('webpack');
    const stats = await new Promise((resolve, reject) => webpack({
      mode: 'production', context: dir, entry: './main.js', performance: { hints: false },
      output: { path: path.join(dir, 'dist'), filename: 'main.js', clean: true },
    }, (e, s) => (e ? reject(e) : resolve(s))));
    if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
    fs.writeFileSync(path.join(dir, 'dist/index.html'), page('./main.js'));
  },
  // esbuild does not follow `new URL(…, import.meta.url)`: the worker is a second entry point
  // and the wasm modules are copied next to the bundle (README, "Bundlers").
  async esbuild(dir) {
    const esbuild = await import('esbuild');
    await esbuild.build({
      absWorkingDir: dir, entryPoints: ['main.js', 'georange/georange_worker.js'], entryNames: '[name]',
      bundle: true, format: 'esm', outdir: 'dist', logLevel: 'warning',
    });
    for (const f of fs.readdirSync(path.join(dir, 'node_modules/georange')).filter((f) => f.endsWith('.wasm'))) {
      fs.copyFileSync(path.join(dir, 'node_modules/georange', f), path.join(dir, 'dist', f));
    }
    fs.writeFileSync(path.join(dir, 'dist/index.html'), page('./main.js'));
  },
};

/** Opens `url` in `browser`; resolves to the page and the uncaught errors it raises. */
async function open(browser, url) {
  const tab = await browser.newPage();
  const uncaught = [];
  tab.on('pageerror', (e) => uncaught.push(e.message));
  await tab.goto(url);
  await tab.waitForFunction(() => typeof window.embedHere === 'function');
  return { tab, uncaught };
}

const embedHere = (tab, options) => tab.evaluate((o) => window.embedHere(o), { points, variant: 'range+', beta: 0.5, ...MODEL, ...options });

/** The CPU runs match the native CPU path; WebGPU is within its cosine tolerance. */
function checkRows(out, gpu, what) {
  compareRows(out, native.data, native.shape[1], (i, cos, rel) => {
    if (gpu) assert(cos >= 0.999, `${what}, row ${i}: cosine ${cos}`);
    else assert(rel <= 1e-5, `${what}, row ${i}: relative error ${rel}`);
  });
}

const browser = await launch(true);
const servers = [];
try {
  for (const [name, bundle] of Object.entries(BUNDLERS)) {
    const dir = appDir(name);
    await test(`${name}: builds the app that imports the package`, () => bundle(dir));
    if (!fs.existsSync(path.join(dir, 'dist/index.html'))) continue;
    fs.symlinkSync(models, path.join(dir, 'dist/models'));
    const server = await serve(path.join(dir, 'dist'));
    servers.push(server);
    const webgpu = name === 'vite';
    await test(`${name}: CPU workers on a 38 MB bank, one thread${webgpu ? ', and WebGPU' : ''} each embed as the native CLI does, with no uncaught error`, async () => {
      const { tab, uncaught } = await open(browser, `${server.url}/`);
      const sharded = await embedHere(tab, { device: 'cpu' });
      assert(sharded.workers === 2 && sharded.note === '', `workers: ${sharded.workers} (${sharded.note})`);
      checkRows(sharded.out, false, 'CPU workers');
      const one = await embedHere(tab, { device: 'cpu', workers: 1 });
      assert(one.workers === 1, `workers: ${one.workers}`);
      checkRows(one.out, false, 'one thread');
      if (webgpu) {
        const gpu = await embedHere(tab, { device: 'webgpu' });
        assert(gpu.backend === 'webgpu', `backend ${gpu.backend} (${gpu.note})`);
        checkRows(gpu.out, true, 'WebGPU');
      }
      assert(uncaught.length === 0, `uncaught: ${uncaught.join('; ')}`);
      await tab.close();
    });
    await test(`${name}: a worker script that does not load falls back to one thread, says so, and raises nothing uncaught`, async () => {
      const context = await browser.newContext();
      // Every script but the app's own bundle: the worker, whatever name its bundler gave it
      // (Vite: georange_worker-HASH.js, webpack: an id such as 722.main.js, esbuild: georange_worker.js).
      const entry = /\/(main|index-[\w-]+)\.js$/;
      await context.route(/\.js$/, (route) => (entry.test(new URL(route.request().url()).pathname)
        ? route.continue() : route.fulfill({ status: 404, body: 'blocked by this test' })));
      const tab = await context.newPage();
      const uncaught = [];
      tab.on('pageerror', (e) => uncaught.push(e.message));
      await tab.goto(`${server.url}/`);
      await tab.waitForFunction(() => typeof window.embedHere === 'function');
      const r = await embedHere(tab, { device: 'cpu' });
      assert(r.workers === 1 && /CPU workers unavailable/.test(r.note), `workers ${r.workers} (${r.note})`);
      checkRows(r.out, false, 'fallback');
      assert(uncaught.length === 0, `uncaught: ${uncaught.join('; ')}`);
      await context.close();
    });
  }

  // ---- another origin: the page on one port, the package and the models on another ----
  const cdnRoot = path.join(work, 'cdn');
  fs.cpSync(path.join(work, 'vite/node_modules/georange'), cdnRoot, { recursive: true });
  fs.symlinkSync(models, path.join(cdnRoot, 'models'));
  const cdn = await serve(cdnRoot, 0, { 'access-control-allow-origin': '*' });
  servers.push(cdn);
  const siteRoot = path.join(work, 'site');
  fs.mkdirSync(siteRoot);
  fs.writeFileSync(path.join(siteRoot, 'index.html'), `<!doctype html><meta charset="utf-8"><script type="module">
import { GeoRange } from '${cdn.url}/georange.js';
window.embedHere = async ({ points, variant, beta, encoder, bank, ...options }) => {
  const m = await GeoRange.load({ cache: false, encoder: '${cdn.url}/' + encoder, bank: '${cdn.url}/' + bank, ...options });
  try {
    const out = await m.embed(Float64Array.from(points), { variant, beta });
    return { backend: m.backend, workers: m.workers, note: m.note, out: Array.from(out) };
  } finally { m.dispose(); }
};
</script>`);
  const site = await serve(siteRoot);
  servers.push(site);
  await test('the package from another origin (a CDN with CORS): CPU workers start (blob: bootstrap) and embed as the native CLI does', async () => {
    assert(new URL(site.url).origin !== new URL(cdn.url).origin, 'one origin');
    const { tab, uncaught } = await open(browser, `${site.url}/`);
    const r = await embedHere(tab, { device: 'cpu' });
    assert(r.workers === 2 && r.note === '', `workers: ${r.workers} (${r.note})`);
    checkRows(r.out, false, 'cross-origin workers');
    const one = await embedHere(tab, { device: 'cpu', workers: 1 });
    checkRows(one.out, false, 'cross-origin, one thread');
    assert(uncaught.length === 0, `uncaught: ${uncaught.join('; ')}`);
    await tab.close();
  });
} finally {
  await browser.close();
  for (const s of servers) await s.close();
}
console.log(`apps: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
