// Reads a little-endian float32/float64 .npy file (C order) into { shape, data: Float64Array }.
import fs from 'node:fs';

export function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const body = buf.subarray(start + headerLen);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  const size = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!size) throw new Error(`${file}: dtype ${descr} not supported`);
  for (let i = 0; i < count; i++) data[i] = size === 4 ? body.readFloatLE(i * 4) : body.readDoubleLE(i * 8);
  return { shape, data };
}
