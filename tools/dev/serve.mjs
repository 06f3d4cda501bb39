// A small static file server for the demo and the browser tests (loopback only).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.css': 'text/css', '.png': 'image/png', '.safetensors': 'application/octet-stream',
};

/** Serves `root` on 127.0.0.1 (`port`, or a free one), adding `headers` to every response
 * (e.g. CORS, to serve the package to pages of another origin). Resolves to { url, close }. */
export function serve(root, port = 0, headers = {}) {
  root = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const rel = decodeURIComponent(url.pathname).replace(/\/$/, '/index.html');
    const file = path.join(root, rel);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) { res.writeHead(404).end('not found'); return; }
      // Validators, as a static host sends them: a client holding a current copy gets a 304.
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      const validators = { etag, 'last-modified': st.mtime.toUTCString() };
      if (req.headers['if-none-match'] === etag) { res.writeHead(304, { ...validators, ...headers }).end(); return; }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-store',
        ...validators,
        ...headers,
      });
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) });
    });
  });
}

// `node tools/dev/serve.mjs DIR [PORT]`: serve DIR on http://127.0.0.1:PORT (the demo).
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.resolve(process.argv[2] ?? 'www');
  const port = Number(process.argv[3] ?? 8080);
  const { url } = await serve(dir, port);
  console.log(`serving ${dir} at ${url}/ (Ctrl-C to stop)`);
}
