// What the page's runtime offers: WebAssembly SIMD (and which of the package's two wasm
// modules to run), the wasm module itself (compiled once per page), a WebGPU adapter, and how
// many cores there are for CPU workers (how many a bank gets is the core's decision:
// `planDevice`, src/model/device.rs).

import init from './georange_wasm.js';
import { GeoRangeError } from './errors.js';

/** The smallest module with a SIMD instruction (i32.const 0; i8x16.splat): validates only
 * where WebAssembly SIMD runs, which the module is built for (.cargo/config.toml). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);

/** The same with a relaxed-SIMD instruction (three splats, then f32x4.relaxed_madd): validates
 * where the package's second module runs. */
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11]);

/**
 * The URL of the wasm module this browser runs, next to this script: the relaxed-SIMD build
 * (its CPU loops use fused multiply-adds) where WebAssembly validates relaxed SIMD, else the
 * baseline SIMD build. For a service worker's precache list; `LoadOptions.wasmUrl` overrides it.
 * @returns {string}
 */
export function wasmModuleUrl() {
  return (WebAssembly.validate(RELAXED_SIMD_PROBE)
    ? new URL('./georange_wasm_relaxed_bg.wasm', import.meta.url)
    : new URL('./georange_wasm_bg.wasm', import.meta.url)).href;
}

/** Whether this is Node.js (or a runtime with its `process`, such as Deno), outside any
 * page or Web Worker: files are read from disk there, and there is no WebGPU unless the
 * runtime provides `navigator.gpu`. */
export const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node)
  && typeof document === 'undefined' && typeof WorkerGlobalScope === 'undefined';

/** Imports a Node.js module under a name that bundlers leave alone (the package also runs in
 * browsers, where this is never called). */
export const nodeModule = (name) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

/** The bytes of the file at `path` (a path or a `file:` URL), in Node.js. */
export async function readLocalFile(path) {
  const { readFile } = await nodeModule('node:fs/promises');
  return new Uint8Array(await readFile(typeof path === 'string' && path.startsWith('file:') ? new URL(path) : path));
}

/** Whether WebGPU is there to ask for an adapter (browsers with it; Node.js with Dawn's
 * `webgpu` package installed as `navigator.gpu`). */
export const hasWebGpu = () => typeof navigator !== 'undefined' && Boolean(navigator.gpu);

/**
 * Runs `load` (which creates a WebGPU device in the wasm module) where wgpu can find
 * `navigator.gpu`. wgpu reads it through the page's `Window` or a worker's
 * `WorkerGlobalScope` global; Node.js has neither, so with Dawn's `webgpu` package providing
 * `navigator.gpu` there, a placeholder `WorkerGlobalScope` stands in while the device is made.
 */
export async function withWebGpuGlobal(load) {
  if (!inNode || !hasWebGpu() || 'Window' in globalThis || 'WorkerGlobalScope' in globalThis) return load();
  globalThis.WorkerGlobalScope = function WorkerGlobalScope() {};
  try {
    return await load();
  } finally {
    delete globalThis.WorkerGlobalScope;
  }
}

let ready = null;
/** The page's (or this thread's) WebAssembly memory, once the module is initialised. */
let memory = null;

/** The size of this thread's WebAssembly heap in bytes (0 before the first load). It grows
 * and never shrinks, so a heap that stops growing is what "no leak" looks like. */
export const wasmHeapBytes = () => memory?.buffer.byteLength ?? 0;
/** Whether the wasm module is initialised (a model loaded, or `initWasm` resolved). */
export const wasmReady = () => memory !== null;
/** The URL the page's module came from, once one is compiled. */
let moduleUrl = '';

/** The URL of the compiled wasm module ('' before the first load). */
export const loadedModuleUrl = () => moduleUrl;

/** Compiles the wasm module at `url`. */
async function compileWasm(url) {
  if (url.startsWith('file:')) return WebAssembly.compile(await readLocalFile(url));
  const response = await fetch(url);
  if (!response.ok) throw new GeoRangeError(`GeoRange: cannot fetch the wasm module ${response.url}: HTTP ${response.status}`, 'network');
  // Streaming compilation needs the right MIME type, which not every static server sends.
  return (response.headers.get('content-type') ?? '').startsWith('application/wasm')
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles and initialises the wasm module once; resolves to the compiled module, which the
 * CPU workers (js/shards.js) instantiate too instead of fetching and compiling it each. */
export function initWasm(wasmUrl) {
  if (!ready) {
    if (!WebAssembly.validate(SIMD_PROBE)) {
      return Promise.reject(new GeoRangeError('GeoRange: this browser lacks WebAssembly SIMD (Chrome 91+, Firefox 89+ and Safari 16.4+ have it)', 'unavailable'));
    }
    // `wasmUrl`, or the module next to this script that this browser runs.
    // Relative to the page, or in Node.js to the package (a path or URL given as it is).
    const base = globalThis.location?.href ?? import.meta.url;
    const url = wasmUrl ? new URL(wasmUrl, base).href : wasmModuleUrl();
    ready = compileWasm(url).then(async (module) => {
      memory = (await init({ module_or_path: module })).memory;
      moduleUrl = url;
      return module;
    });
    ready.catch(() => { ready = null; });
  }
  return ready;
}

/**
 * The browser's WebGPU adapter: `{ name, software }`, or null without one. `name` is readable
 * (vendor, architecture, description); `software` is true for a fallback adapter that runs on
 * the CPU (Chromium's SwiftShader).
 */
export async function probeAdapter() {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
    const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
    const name = [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ');
    return { name: (name + (software ? ' (software fallback adapter)' : '')).trim(), software };
  } catch {
    return null;
  }
}

/** Whether CPU workers can start here (js/threads.js): Web Workers, or Node.js's worker threads. */
export const canStartWorkers = () => typeof Worker !== 'undefined' || inNode;

/** How many cores this process may use: the page's `navigator.hardwareConcurrency`, or in
 * Node.js `os.availableParallelism()` (Node 20 has no `navigator`). */
export async function cpuCount() {
  const cores = inNode ? (await nodeModule('node:os')).availableParallelism?.() : globalThis.navigator?.hardwareConcurrency;
  return Number(cores) || 1;
}
