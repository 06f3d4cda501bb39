// A TypeScript app using the npm package as published (pkg/): compiled with `tsc --strict`
// under `moduleResolution` "bundler" and "node16" by tests/node/types.test.mjs. It must
// compile; it is never run.
import { ERROR_CODES, GeoRange, GeoRangeError, wasmModuleUrl, type ErrorCode, type LoadOptions } from 'georange';

const options: LoadOptions = {
  encoder: '/models/encoder.safetensors',
  bank: new Uint8Array(0),
  device: 'auto',
  gpuAttention: 'fused',
  workers: 'auto',
  cache: 'revalidate',
  onProgress: ({ file, loaded, total }) => console.log(file, loaded, total),
};

export async function run(): Promise<number> {
  const model: GeoRange = await GeoRange.load(options);
  const v: Float32Array = await model.embed(new Float64Array([0, 0]), { model: 'range+', beta: 0.5, batchSize: 256 });
  const top = await model.explain(0, 0, { k: 3 });
  const heaviest: number = top[0]?.weight ?? 0;
  const where: 'webgpu' | 'cpu' = model.backend;
  try {
    await model.embed([0, 95]);
  } catch (e) {
    if (e instanceof GeoRangeError) {
      const code: ErrorCode = e.code;
      if (code === 'bad_coordinate') console.log(`row ${e.row ?? -1}`);
    }
  }
  const codes: readonly ErrorCode[] = ERROR_CODES;
  const url: string = wasmModuleUrl();
  const { heapBytes, workerHeapBytes } = await model.memoryUse();
  const fresh: GeoRange = await GeoRange.load({ encoder: '/models/encoder.safetensors', cache: 'prefer' });
  fresh.dispose();
  const cleared: boolean = await GeoRange.clearCache();
  model.dispose();
  return v.length + heaviest + codes.length + url.length + where.length + model.dimOf('encoder')
    + heapBytes + workerHeapBytes.length + Number(cleared);
}
