// A build-time script for a static site: embeds the points of a CSV (columns `lon` and `lat`)
// with the npm package in Node.js and writes the embeddings next to the page as a raw
// little-endian Float32Array (rows × dim), which the page fetches and wraps with
// `new Float32Array(await (await fetch('embeddings.f32')).arrayBuffer())`.
//
//   node examples/node/embed-csv.mjs points.csv encoder.safetensors bank.safetensors out/embeddings.f32
//
// In an app that installed the package: `import { GeoRange } from 'georange';` instead of the
// path below.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { GeoRange } = await import(pathToFileURL(path.join(root, 'pkg/georange.js')));

const [csv, encoder, bank, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node examples/node/embed-csv.mjs POINTS.csv ENCODER BANK OUT.f32');
  process.exit(2);
}
const [header, ...lines] = fs.readFileSync(csv, 'utf8').trim().split('\n');
const names = header.split(',').map((h) => h.trim().toLowerCase());
const [lonAt, latAt] = [names.indexOf('lon'), names.indexOf('lat')];
const lonLat = Float64Array.from(lines.flatMap((l) => {
  const cells = l.split(',');
  return [Number(cells[lonAt]), Number(cells[latAt])];
}));

const model = await GeoRange.load({ encoder, bank }); // paths: read from disk; the CPU in plain Node
try {
  const emb = await model.embed(lonLat, {
    model: 'range+', beta: 0.5,
    onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total} points`),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, new Uint8Array(emb.buffer, emb.byteOffset, emb.byteLength));
  console.error(`\nwrote ${lonLat.length / 2} × ${model.dim} float32 to ${out} (${model.note || model.backend})`);
} catch (e) {
  // Errors carry a stable code; a bad point names its row.
  console.error(e.code === 'bad_coordinate' ? `line ${e.row + 2} of ${csv}: ${e.message}` : `${e.code}: ${e.message}`);
  process.exitCode = 1;
} finally {
  model.dispose();
}
