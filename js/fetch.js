// Model files: fetched with progress and one retry, kept in the Cache API, or given as bytes.

import { GeoRangeError } from './errors.js';
import { inNode, readLocalFile } from './runtime.js';

const CACHE_NAME = 'georange-models-v1';

/** Reads a Response body into a Uint8Array, reporting bytes done/total. */
async function readWithProgress(response, file, onProgress) {
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !response.body.getReader) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.length, total: total || bytes.length });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ file, loaded, total });
  }
  if (total && loaded !== total) throw new GeoRangeError(`${file}: download ended at ${loaded} of ${total} bytes`, 'network');
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  onProgress?.({ file, loaded, total: total || loaded });
  return bytes;
}

async function openCache(useCache) {
  if (!useCache || typeof caches === 'undefined') return null;
  try { return await caches.open(CACHE_NAME); } catch { return null; }
}

/** An HTTP error status: `missing` for a 4xx, which will not go away on retry. */
class HttpError extends GeoRangeError {
  constructor(file, status, url) {
    super(`${file}: HTTP ${status} for ${url}`, 'network');
    this.missing = status >= 400 && status < 500;
  }
}

/** A local file's bytes (Node.js), with one progress report; an `io` error names it. */
async function readFile(path, file, onProgress) {
  try {
    const bytes = await readLocalFile(path);
    onProgress?.({ file, loaded: bytes.length, total: bytes.length });
    return bytes;
  } catch (e) {
    throw new GeoRangeError(`${file}: cannot read ${path}: ${e?.message ?? e}`, 'io', { cause: e });
  }
}

/** What a cache entry keeps of a response: its size and its validators. */
function storedHeaders(bytes, response) {
  const headers = { 'content-length': String(bytes.length) };
  for (const name of ['etag', 'last-modified']) {
    const value = response?.headers.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

/** The request that asks the server whether `cached` is still current (a 304 if it is). */
function revalidation(cached) {
  const headers = {};
  const etag = cached.headers.get('etag');
  const modified = cached.headers.get('last-modified');
  if (etag) headers['if-none-match'] = etag;
  if (modified) headers['if-modified-since'] = modified;
  // 'no-cache': the browser's HTTP cache asks the server too, rather than answering itself.
  return { headers, cache: 'no-cache' };
}

/** The cache policy a `cache` option names: 'revalidate' (also `true`), 'prefer' or false. */
export function cachePolicy(cache) {
  if (cache === true || cache === undefined || cache === 'revalidate') return 'revalidate';
  if (cache === 'prefer' || cache === false) return cache;
  throw new GeoRangeError(`GeoRange.load: cache must be 'revalidate', 'prefer' or false, got ${JSON.stringify(cache)}`, 'invalid_argument');
}

/**
 * A model file: a URL, or bytes given directly. A URL is fetched with one retry and kept in
 * the Cache API; by `policy`:
 * - `'revalidate'`: a cached copy is used only once the server says it is current (a
 *   conditional request with its `ETag`/`Last-Modified`: 304), or when the server cannot be
 *   reached (offline); a file republished at the same URL replaces it;
 * - `'prefer'`: a cached copy is used without asking the server (offline first);
 * - `false`: no cache.
 * `fresh` skips the cache (a cached copy that failed to load). Resolves to `{ bytes, keep,
 * cached, note }`: `keep()` stores a fresh download, to be called once the bytes have loaded
 * (so neither a partial download nor a file that fails to parse is ever cached); `cached`
 * says the bytes are the cache's; `note` says why, where the server
 * was not asked or could not answer.
 */
export async function fetchBytes(source, file, onProgress, policy = 'revalidate', fresh = false) {
  const given = (bytes) => ({ bytes, keep: async () => {}, cached: false, note: '' });
  if (source instanceof Uint8Array) return given(source);
  if (source instanceof ArrayBuffer) return given(new Uint8Array(source));
  if (typeof Blob !== 'undefined' && source instanceof Blob) return given(new Uint8Array(await source.arrayBuffer()));
  const url = source instanceof URL ? source.href : String(source);
  // In Node.js anything but an http(s) URL is a file: a path, or a file: URL.
  if (inNode && !/^https?:\/\//i.test(url)) return given(await readFile(url, file, onProgress));
  const cache = await openCache(policy !== false);
  if (cache && fresh) await cache.delete(url).catch(() => false);
  const hit = cache && !fresh ? await cache.match(url) : undefined;
  const fromCache = async (note) => ({
    bytes: await readWithProgress(hit, file, onProgress), keep: async () => {}, cached: true, note,
  });
  if (hit && policy === 'prefer') return fromCache('');
  let lastError;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const response = await fetch(url, hit ? revalidation(hit) : undefined);
      if (hit && response.status === 304) return fromCache('');
      if (!response.ok) throw new HttpError(file, response.status, url);
      const bytes = await readWithProgress(response, file, onProgress);
      const keep = async () => {
        if (cache) await cache.put(url, new Response(bytes, { headers: storedHeaders(bytes, response) })).catch(() => {});
      };
      return { bytes, keep, cached: false, note: '' };
    } catch (e) {
      lastError = e;
      if (e instanceof HttpError && e.missing) break; // a missing file will not appear on retry
    }
  }
  // The server could not say whether the cached copy is current: offline, it is the file.
  if (hit && !(lastError instanceof HttpError && lastError.missing)) {
    return fromCache(`${file}: the server could not be reached (${String(lastError?.message ?? lastError).split('\n')[0]}); using the cached copy`);
  }
  throw new GeoRangeError(`${file}: cannot load ${url}: ${lastError?.message ?? lastError}`, 'network', { cause: lastError });
}

/** Deletes every model file this package cached (the Cache API's 'georange-models-v1'). */
export async function clearCache() {
  if (typeof caches === 'undefined') return false;
  return caches.delete(CACHE_NAME);
}
