// embedFile (issue 44): a whole file of places embedded where it lies, in the page or in
// Node.js, streamed: the input read in chunks, embedded a batch at a time, the output written
// as it comes (memory is a batch's, whatever the file's size). CSV in (any lon/lat column
// names), or GeoJSON (read whole; a polygon as the mean embedding of points spread inside);
// `.npy` (float32 rows × dim) or CSV (the input's columns and the embedding's) out.
import { GeoRangeError, invalid } from './errors.js';
import { columnOf, csvFields } from './csv.js';
import { featuresOf, geometryPoints } from './geojson.js';

/** The input's bytes, chunk by chunk: a Blob / File, a ReadableStream, or in Node.js a path. */
async function* chunks(input) {
  if (typeof input === 'string' || input instanceof URL) {
    const fs = await import('node:fs');
    for await (const c of fs.createReadStream(input)) yield c;
    return;
  }
  const stream = typeof input?.stream === 'function' ? input.stream() : input;
  if (typeof stream?.getReader !== 'function') throw invalid('embedFile: input is a File or Blob, a ReadableStream, or (Node.js) a path');
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The text's lines, decoded as they come (a line may span chunks). */
async function* lines(input, count) {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const c of chunks(input)) {
    count.bytes += c.length;
    rest += decoder.decode(c, { stream: true });
    const parts = rest.split('\n');
    rest = parts.pop();
    for (const l of parts) yield l.endsWith('\r') ? l.slice(0, -1) : l;
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** The input's rows as `{ row, line, points }` (or `{ row, error }` for one that cannot be
 * read), after `head`: CSV, streamed line by line. */
async function* csvRows(input, count, { lon, lat }) {
  const source = lines(input, count);
  const first = await source.next();
  if (first.done) throw invalid('embedFile: the file is empty (a CSV needs a header line)');
  const head = csvFields(first.value);
  const [x, y] = [columnOf(head, lon, 'lon', 'embedFile'), columnOf(head, lat, 'lat', 'embedFile')];
  yield { head };
  const number = (f) => (f === undefined || f.trim() === '' ? Number.NaN : Number(f));
  let row = 0;
  for await (const line of source) {
    if (line.trim() === '') continue;
    const f = csvFields(line);
    yield { row: row++, line, points: [number(f[x]), number(f[y])] };
  }
}

/** GeoJSON's features as rows (the text read whole: GeoJSON has no lines to stream by). */
async function* geojsonRows(input, count, { samples, seed }) {
  const decoder = new TextDecoder();
  let text = '';
  for await (const c of chunks(input)) {
    count.bytes += c.length;
    text += decoder.decode(c, { stream: true });
  }
  text += decoder.decode();
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GeoRangeError(`embedFile: the file is not JSON (${e.message})`, 'bad_file');
  }
  yield { head: ['feature', 'points'] };
  const features = featuresOf(json, 'embedFile');
  for (let i = 0; i < features.length; i++) {
    try {
      const points = geometryPoints(features[i], i, { samples, seed, caller: 'embedFile' });
      yield { row: i, line: `${i},${points.length / 2}`, points };
    } catch (error) {
      yield { row: i, error };
    }
  }
}

/** `'geojson'` for a .geojson / .json name or a GeoJSON type, else `'csv'`. */
function inputFormatOf(input) {
  const name = typeof input === 'string' ? input : input instanceof URL ? input.pathname : input?.name ?? '';
  return /\.(geo)?json$/i.test(name) || input?.type === 'application/geo+json' ? 'geojson' : 'csv';
}

/**
 * Where the output goes: a Node.js path, a FileSystemWritableFileStream (File System Access or
 * the origin-private file system: it can write at a position), any WritableStream, or nothing
 * (the bytes kept as Blob parts, the browser's chunked download). `rewrite(bytes)` puts bytes
 * at the file's start again (the `.npy` header's row count, once known).
 */
async function sinkOf(output) {
  if (typeof output === 'string' || output instanceof URL) {
    const fs = await import('node:fs');
    const handle = await fs.promises.open(output, 'w');
    let at = 0;
    return {
      write: async (b) => { await handle.write(b, 0, b.length, at); at += b.length; },
      rewrite: async (b) => { await handle.write(b, 0, b.length, 0); },
      close: () => handle.close(),
    };
  }
  if (output === undefined || output === null) {
    const parts = [];
    return {
      write: async (b) => { parts.push(b); },
      rewrite: async (b) => { parts[0] = b; },
      close: async () => new Blob(parts),
    };
  }
  if (typeof output?.getWriter === 'function') {
    const seekable = typeof output.seek === 'function';
    const writer = output.getWriter();
    return {
      write: (b) => writer.write(b),
      rewrite: async (b) => {
        if (!seekable) throw invalid('embedFile: a .npy output needs a file it can seek in (a path, a FileSystemWritableFileStream, or none for a Blob)');
        await writer.write({ type: 'write', position: 0, data: b });
      },
      close: () => writer.close(),
    };
  }
  throw invalid('embedFile: output is a path (Node.js), a WritableStream / FileSystemWritableFileStream, or left out for a Blob');
}

/** A `.npy` header (float32, C order) for `rows` × `dim`, padded to a fixed 128 bytes so that
 * the final row count fits where the first was written. */
function npyHeader(rows, dim) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const size = 128;
  if (10 + dict.length + 1 > size) throw invalid(`embedFile: ${rows} × ${dim} does not fit a .npy header`);
  const text = dict.padEnd(size - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (size - 10) & 0xff, (size - 10) >> 8]);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}

/** A CSV field as written: quoted when it holds a comma, a quote or a line break. */
const quote = (f) => (/[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);

/** Output writers by format: their header, each batch's bytes, and what goes last. */
function formatOf(name, dim, head) {
  const enc = new TextEncoder();
  if (name === 'npy') {
    return {
      start: () => npyHeader(0, dim),
      batch: (rows, out) => new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice(),
      finish: (count) => npyHeader(count, dim),
    };
  }
  if (name === 'csv') {
    return {
      start: () => enc.encode(`${[...head.map(quote), ...Array.from({ length: dim }, (_, j) => `emb_${j}`)].join(',')}\n`),
      batch: (rows, out) => enc.encode(rows.map((r, i) => `${r.line},${Array.from(out.subarray(i * dim, (i + 1) * dim), (v) => v.toPrecision(9)).join(',')}\n`).join('')),
      finish: null,
    };
  }
  throw invalid(`embedFile: output format is 'npy' or 'csv', got ${JSON.stringify(name)}`);
}

/**
 * Embeds every place of a file (`input`: a File / Blob, a ReadableStream, or in Node.js a
 * path) and writes the embeddings to `output` (a path in Node.js, a WritableStream or
 * FileSystemWritableFileStream, or left out: the result's `blob`) as `format` `'npy'`
 * (float32, rows × dim) or `'csv'` (the input's columns, then `emb_0…`). A CSV (`lon`, `lat`
 * as named, or else the usual names) is streamed: memory is a batch's (`batchSize`, default
 * 1024) whatever the file's size. GeoJSON (`inputFormat: 'geojson'`, or a .geojson / .json
 * name) is read whole: a Point is embedded, a MultiPoint, Polygon or MultiPolygon is the mean
 * embedding of its points or of `samples` (20) points spread by area inside (seeded by `seed`).
 * A row whose coordinate is not on the globe or not a number (a feature it cannot embed) stops
 * the run with its `row` (from 0: data rows, features) and code (`bad_coordinate`,
 * `invalid_argument`), what was written before it kept readable; with `skipBadRows` it is
 * left out and listed in `skipped`. `signal` stops after the batch in flight, the output
 * readable (code `aborted`). `onProgress({ rows, bytes, totalBytes, pointsPerSecond,
 * secondsLeft })` after each batch.
 * @returns {Promise<{ rows: number, dim: number, skipped: {row: number, code: string, message: string}[], seconds: number, samples?: number, blob?: Blob }>}
 */
export async function embedFile(model, input, options = {}) {
  const { output, format = 'npy', lon, lat, variant, beta = 0.5, batchSize = 1024, skipBadRows = false, onProgress, signal, samples = 20, seed = 0 } = options;
  const inputFormat = options.inputFormat ?? inputFormatOf(input);
  if (!['csv', 'geojson'].includes(inputFormat)) throw invalid(`embedFile: inputFormat is 'csv' or 'geojson', got ${JSON.stringify(inputFormat)}`);
  const dim = model.dimOf(variant ?? model._defaultVariant());
  const totalBytes = typeof input?.size === 'number' ? input.size : undefined;
  const count = { bytes: 0 };
  const source = inputFormat === 'csv' ? csvRows(input, count, { lon, lat }) : geojsonRows(input, count, { samples, seed });
  const { value: { head } } = await source.next();
  const writer = formatOf(format, dim, head);
  const sink = await sinkOf(output);
  const t0 = performance.now();
  const skipped = [];
  let written = 0;
  let batch = [];
  const embedRows = async (rows) => {
    const flat = Float64Array.from(rows.flatMap((r) => r.points));
    const points = await model.embed(flat, { variant, beta, batchSize: flat.length / 2 });
    // Each row's mean over its points (one point: its embedding as it is).
    const out = new Float32Array(rows.length * dim);
    let at = 0;
    rows.forEach((r, i) => {
      const n = r.points.length / 2;
      for (let k = 0; k < n; k++, at++) for (let j = 0; j < dim; j++) out[i * dim + j] += points[at * dim + j] / n;
    });
    return out;
  };
  const write = async (rows) => {
    if (!rows.length) return;
    await sink.write(writer.batch(rows, await embedRows(rows)));
    written += rows.length;
  };
  /** A row that cannot be embedded: listed, or (the rows before it written) the run's end. */
  const refuse = async (bad, error, before) => {
    const message = `row ${bad.row}: ${error.message}`;
    if (skipBadRows) {
      skipped.push({ row: bad.row, code: error.code, message });
      return;
    }
    await write(before);
    throw new GeoRangeError(`embedFile: ${message} (the rows before it are written)`, error.code, { row: bad.row, cause: error });
  };
  /** Embeds the batch (leaving out or stopping at bad rows) and writes it. */
  const flush = async () => {
    let keep = batch;
    batch = [];
    while (keep.length) {
      try {
        await write(keep);
        break;
      } catch (e) {
        if (e?.code !== 'bad_coordinate' || !Number.isInteger(e.row)) throw e;
        // The core names the point; find its row.
        let point = e.row;
        const i = keep.findIndex((r) => (point -= r.points.length / 2) < 0);
        if (i < 0) throw e;
        await refuse(keep[i], e, keep.slice(0, i));
        keep = keep.filter((_, k) => k !== i);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const pointsPerSecond = written / Math.max(seconds, 1e-9);
    const secondsLeft = totalBytes ? ((totalBytes - count.bytes) / Math.max(count.bytes, 1)) * seconds : undefined;
    onProgress?.({ rows: written, bytes: count.bytes, totalBytes, pointsPerSecond, secondsLeft });
  };
  const stop = () => new GeoRangeError('embedFile: aborted (the rows embedded so far are written)', 'aborted', { cause: signal?.reason });
  let failure = null;
  try {
    await sink.write(writer.start());
    for await (const r of source) {
      if (signal?.aborted) throw stop();
      if (r.error) {
        await refuse(r, r.error, batch);
        continue;
      }
      batch.push(r);
      if (batch.length >= batchSize) await flush();
    }
    if (signal?.aborted) throw stop();
    await flush();
  } catch (e) {
    failure = e;
  }
  // Whatever happened, what is written stays readable: the .npy header counts its rows.
  if (writer.finish) await sink.rewrite(writer.finish(written));
  const blob = await sink.close();
  if (failure) throw failure;
  return {
    rows: written, dim, skipped, seconds: (performance.now() - t0) / 1000,
    ...(inputFormat === 'geojson' ? { samples } : {}), ...(blob instanceof Blob ? { blob } : {}),
  };
}
