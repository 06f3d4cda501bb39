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

/**
 * A model file: a URL (fetched with one retry, or taken from the Cache API), or bytes given
 * directly. Resolves to `{ bytes, keep }`: `keep()` stores a fresh download in the cache, to
 * be called once the bytes have loaded, so neither a partial download nor a file that fails
 * to parse is ever cached.
 */
export async function fetchBytes(source, file, onProgress, useCache) {
  const given = (bytes) => ({ bytes, keep: async () => {} });
  if (source instanceof Uint8Array) return given(source);
  if (source instanceof ArrayBuffer) return given(new Uint8Array(source));
  if (typeof Blob !== 'undefined' && source instanceof Blob) return given(new Uint8Array(await source.arrayBuffer()));
  const url = source instanceof URL ? source.href : String(source);
  // In Node.js anything but an http(s) URL is a file: a path, or a file: URL.
  if (inNode && !/^https?:\/\//i.test(url)) return given(await readFile(url, file, onProgress));
  const cache = await openCache(useCache);
  const cached = cache && (await cache.match(url));
  if (cached) return given(await readWithProgress(cached, file, onProgress));
  let lastError;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const response = await fetch(url);
      if (!response.ok) throw new HttpError(file, response.status, url);
      const bytes = await readWithProgress(response, file, onProgress);
      const keep = async () => {
        const headers = { 'content-length': String(bytes.length) };
        if (cache) await cache.put(url, new Response(bytes, { headers })).catch(() => {});
      };
      return { bytes, keep };
    } catch (e) {
      lastError = e;
      if (e instanceof HttpError && e.missing) break; // a missing file will not appear on retry
    }
  }
  throw new GeoRangeError(`${file}: cannot load ${url}: ${lastError?.message ?? lastError}`, 'network', { cause: lastError });
}
