// What the Chromium test scripts share (tests/browser/run.mjs, tests/browser/demo.mjs,
// tests/apps/run.mjs): a named test that counts, an assertion, the per-row comparison, and
// headless Chromium started with or without WebGPU (SwiftShader's software adapter).
import { chromium } from 'playwright-core';

export const results = { passed: 0, failed: 0 };

/** Runs one named test and counts it; `ONLY=text` runs only the tests whose name has `text`
 * (`ONLY='a|b'`: either). */
export async function test(name, fn) {
  if (process.env.ONLY && !process.env.ONLY.split('|').some((part) => name.includes(part))) return;
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

/** Calls `check(row, cosine, relative L2 error)` for each row of `dim` of `got` against `want`. */
export function compareRows(got, want, dim, check) {
  for (let i = 0; i < want.length / dim; i++) {
    let dot = 0, gg = 0, ww = 0, dd = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) { dot += got[j] * want[j]; gg += got[j] ** 2; ww += want[j] ** 2; dd += (got[j] - want[j]) ** 2; }
    check(i, dot / Math.sqrt(gg * ww), Math.sqrt(dd / ww));
  }
}

/** Flags for headless Chromium in a container; `WEBGPU` adds its (software) WebGPU adapter. */
export const ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--disable-gpu-sandbox'];
export const WEBGPU = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

/** Debian's Chromium (or `CHROMIUM`), headless, with WebGPU when `webgpu`. */
export const launch = (webgpu) => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: webgpu ? [...ARGS, ...WEBGPU] : ARGS,
});
