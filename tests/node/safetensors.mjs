// A bank file's tensors read in the test itself (safetensors: an 8-byte header length, a JSON
// header, the data; docs/FORMAT.md), as f32 rows: for brute-force checks of the package.
import fs from 'node:fs';

/** `{ name: { shape, data: Float32Array } }` with int8 tensors dequantised by `NAME.scale`. */
export function readBank(file) {
  const bytes = fs.readFileSync(file);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  const base = 8 + headerLen;
  const raw = (name) => {
    const { dtype, shape, data_offsets: [a, b] } = header[name];
    const view = bytes.buffer.slice(bytes.byteOffset + base + a, bytes.byteOffset + base + b);
    if (dtype === 'F32') return { shape, data: new Float32Array(view) };
    if (dtype === 'I8') return { shape, data: new Int8Array(view) };
    throw new Error(`${file}: ${name} is ${dtype}, which this reader does not take`);
  };
  const out = {};
  for (const name of ['locs', 'keys', 'values']) {
    const t = raw(name);
    if (t.data instanceof Int8Array) {
      const scale = raw(`${name}.scale`).data;
      const cols = t.shape[1];
      t.data = Float32Array.from(t.data, (c, i) => c * scale[Math.floor(i / cols)]);
    }
    out[name] = t;
  }
  return out;
}

/** Every row's cosine with `query` (f64), brute force. */
export function cosines({ shape: [rows, cols], data }, query) {
  const qn = Math.hypot(...query);
  return Array.from({ length: rows }, (_, r) => {
    let dot = 0;
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      dot += data[r * cols + j] * query[j];
      sq += data[r * cols + j] ** 2;
    }
    return sq && qn ? dot / (Math.sqrt(sq) * qn) : 0;
  });
}
