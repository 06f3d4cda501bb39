// The package's CPU worker script (js/georange_worker.js). Apps never import it: the package
// starts it. It is an entry of the package's `exports` so that a bundler that does not follow
// `new Worker(new URL(…, import.meta.url))` (esbuild) can take it as an entry point.
export {};
