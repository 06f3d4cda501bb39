// Starting a georange CPU worker (js/georange_worker.js) wherever the package runs, behind one
// small interface (`postMessage`, `terminate`, and the `onMessage`/`onError` handlers given):
//  - a page or a Web Worker whose package is same-origin (served with the app, or bundled by
//    Vite, webpack or esbuild): a module Worker, created in the one expression bundlers follow;
//  - a package served from another origin (a CDN): a module worker's script must be
//    same-origin with the page, so the worker starts from a same-origin `blob:` script that
//    imports the package's worker (the CDN must send CORS headers, as it must for the wasm);
//  - Node.js (and Deno, which has `process`): a `worker_threads` worker, referenced only while
//    a call is pending, so that an idle model never keeps the process alive.

import { inNode, nodeModule } from './runtime.js';

/** The worker script's name next to this module. Held in a variable where bundlers must not
 * follow it (they bundle the one `new Worker(new URL('./georange_worker.js', …))` below). */
const WORKER_SCRIPT = './georange_worker.js';

/** Whether this module was loaded over http(s) from another origin than the page's. A
 * bundler's `import.meta.url` (webpack's `file:`, the bundle's own URL) never is. */
function crossOrigin() {
  const here = new URL(import.meta.url);
  return /^https?:$/.test(here.protocol) && globalThis.location !== undefined && here.origin !== globalThis.location.origin;
}

/** A module worker started from a same-origin `blob:` script that imports `url`. */
function blobWorker(url) {
  const bootstrap = URL.createObjectURL(new Blob([`import ${JSON.stringify(url)};\n`], { type: 'text/javascript' }));
  try {
    return new Worker(bootstrap, { type: 'module' });
  } finally {
    // The worker has read its script's URL by now; the script itself is fetched from the
    // blob store before the URL goes (the spec keeps a blob URL's entry for a fetch begun).
    setTimeout(() => URL.revokeObjectURL(bootstrap), 10_000);
  }
}

/** A Web Worker wrapped in the interface `ShardWorker` (js/shards.js) uses. */
function webWorker(onMessage, onError) {
  const worker = crossOrigin()
    ? blobWorker(new URL(WORKER_SCRIPT, import.meta.url).href)
    : new Worker(new URL('./georange_worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => onMessage(data);
  worker.onerror = (e) => {
    e.preventDefault?.(); // handled by the caller (the call rejects, or load falls back with a note): never uncaught
    onError(e.message || 'its script did not load');
  };
  worker.onmessageerror = () => onError('it sent a message that could not be read');
  return { postMessage: (message, transfer) => worker.postMessage(message, transfer), terminate: () => worker.terminate(), busy() {} };
}

/** A Node.js worker thread wrapped in the same interface. `busy(true)` while calls are
 * pending keeps the process alive for them; an idle worker does not. */
async function nodeWorker(onMessage, onError) {
  const { Worker } = await nodeModule('node:worker_threads');
  const worker = new Worker(new URL(WORKER_SCRIPT, import.meta.url));
  worker.unref();
  worker.on('message', onMessage);
  worker.on('error', (e) => onError(e?.message ?? String(e)));
  worker.on('messageerror', () => onError('it sent a message that could not be read'));
  worker.on('exit', (code) => onError(`it exited (code ${code})`));
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    terminate: () => { worker.terminate(); },
    busy: (yes) => (yes ? worker.ref() : worker.unref()),
  };
}

/**
 * Starts a georange CPU worker. `onMessage(data)` gets each message it posts; `onError(why)`
 * is called once it fails (its script did not load, it died, or it exited).
 * @returns {Promise<{postMessage: (message: unknown, transfer?: Transferable[]) => void, terminate: () => void, busy: (pending: boolean) => void}>}
 */
export async function startWorker(onMessage, onError) {
  return inNode ? nodeWorker(onMessage, onError) : webWorker(onMessage, onError);
}
