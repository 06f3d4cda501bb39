// Prints pkg/package.json for the npm package, its version the workspace's (Cargo.toml's
// [workspace.package]); with --version-module, pkg/version.js instead (GeoRange.version).
import fs from 'node:fs';

const cargo = fs.readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8');
const version = /^\[workspace\.package\]\n(?:[^[\n].*\n|\n)*?version = "([^"]+)"/m.exec(cargo)?.[1];
if (!version) throw new Error('package_json.mjs: no version in Cargo.toml\'s [workspace.package]');
if (process.argv.includes('--version-module')) {
  console.log(`// Written by build.sh (tools/dev/package_json.mjs) from Cargo.toml.\nexport const version = '${version}';`);
  process.exit(0);
}
const pkg = {
  name: 'georange',
  version,
  description: 'RANGE geo-embeddings (CVPR 2025) in the browser on WebGPU with a CPU fallback: SatCLIP/GeoCLIP location encoders plus retrieval.',
  license: 'MIT OR Apache-2.0',
  type: 'module',
  main: './georange.js',
  module: './georange.js',
  types: './georange.d.ts',
  // Each script entry has its types; the worker is an entry for bundlers that take it as one
  // (esbuild), the wasm modules for apps that copy or precache them.
  exports: {
    '.': { types: './georange.d.ts', import: './georange.js' },
    './georange_worker.js': { types: './georange_worker.d.ts', import: './georange_worker.js' },
    // Map layers: the framework-neutral module and one adapter per map library.
    './layers': { types: './layers/index.d.ts', import: './layers/index.js' },
    // Files for other tools: GeoTIFF of a layer's picture or a grid's embeddings.
    './files': { types: './files.d.ts', import: './files.js' },
    ...Object.fromEntries(['maplibre', 'leaflet', 'openlayers', 'deckgl'].map((a) => [`./layers/${a}`, { types: `./layers/${a}.d.ts`, import: `./layers/${a}.js` }])),
    './georange_wasm_bg.wasm': './georange_wasm_bg.wasm',
    './georange_wasm_relaxed_bg.wasm': './georange_wasm_relaxed_bg.wasm',
  },
  files: ['georange.js', 'probe.js', 'csv.js', 'geojson.js', 'files.js', 'embed_file.js', 'files.d.ts', 'version.js', 'errors.js', 'options.js', 'fetch.js', 'runtime.js', 'shards.js', 'threads.js', 'georange_worker.js', 'georange_worker.d.ts', 'georange.d.ts', 'georange_wasm.js', 'georange_wasm.d.ts', 'georange_wasm_bg.wasm', 'georange_wasm_relaxed_bg.wasm', 'georange_wasm_bg.wasm.d.ts', 'layers/', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE'],
  // What the tests run on (Node.js's worker_threads, fetch of file: paths, the test runner).
  engines: { node: '>=20' },
  sideEffects: false,
  keywords: ['geo-embedding', 'location-encoder', 'webgpu', 'wasm', 'range', 'satclip', 'geoclip', 'maplibre', 'leaflet', 'openlayers', 'deck.gl'],
};
console.log(JSON.stringify(pkg, null, 2));
