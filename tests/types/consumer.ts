// A TypeScript app using the npm package as published (pkg/): compiled with `tsc --strict`
// under `moduleResolution` "bundler" and "node16" by tests/node/types.test.mjs. It must
// compile; it is never run.
import { ERROR_CODES, GeoRange, GeoRangeError, wasmModuleUrl, type ErrorCode, type LoadOptions, type SimilarPlace } from 'georange';
import { embedGrid, pcaImage, similarityImage, worldBasis, tilesCovering, type Grid, type MapLayer, type PcaBasis, type TiledMapLayer } from 'georange/layers';
import { maplibreLayer } from 'georange/layers/maplibre';
import { leafletLayer } from 'georange/layers/leaflet';
import { openLayersLayer } from 'georange/layers/openlayers';
import { deckLayer } from 'georange/layers/deckgl';

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
  const v: Float32Array = await model.embed(new Float64Array([0, 0]), { variant: 'range+', beta: 0.5, batchSize: 256 });
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
  const places: SimilarPlace[] = await model.placesLike(0, 0, { k: 5, by: 'values' });
  const ranked = await model.rankBank(v.subarray(0, 10), { by: 'keys', k: 3 });
  const controller = new AbortController();
  const grid: Grid = await embedGrid(model, { bounds: [170, -10, -170, 10], size: [640, 480], cellSize: 8, projection: 'mercator', signal: controller.signal });
  const basis: PcaBasis = (await worldBasis(model, { variant: 'range+' }));
  const { image } = pcaImage(grid, { basis });
  const { legend } = similarityImage(grid, grid.embeddings.subarray(0, grid.dim), { ramp: 'magma' });
  const layers: MapLayer[] = [
    maplibreLayer({}, model, { mode: 'pca', basis: 'world', beforeId: 'labels' }),
    leafletLayer({}, {}, model, { opacity: 0.5 }),
    openLayersLayer({ ImageLayer: class {}, ImageStatic: class {} }, {}, model, { follow: false }),
    deckLayer({ BitmapLayer: class {} }, {}, model, { onLayer: (layer: unknown) => console.log(layer) }),
    leafletLayer({}, {}, model, { tiles: false, follow: false }),
  ];
  const tiled: TiledMapLayer[] = [
    maplibreLayer({}, model, { maplibregl: {}, cacheBytes: 1 << 26, batchSize: 128 }),
    openLayersLayer({ TileLayer: class {}, ImageTile: class {} }, {}, model, { opacity: 0.5 }),
    deckLayer({ TileLayer: class {}, BitmapLayer: class {} }, {}, model, { id: 'embeddings' }),
  ];
  const refitted = await tiled[0]!.refit();
  const tileCount = (refitted?.tiles.length ?? 0) + tiled[0]!.stats.points + (tiled[0]!.tileProgress({ z: 0, x: 0, y: 0 })?.embedded ?? 0)
    + tilesCovering([0, 0, 10, 10], 3).length + tiled[1]!.cache.bytes + (refitted?.grid.embeddings.length ?? 0);
  const shown = await layers[0]!.update({ mode: 'similarity', reference: grid.embeddings.subarray(0, grid.dim) });
  layers.forEach((l) => l.remove());
  tiled.forEach((l) => l.remove());
  model.dispose();
  return places.length + ranked.length + image.width + legend.stops.length + (shown?.grid.cols ?? 0) + v.length + heaviest + codes.length + url.length + where.length + model.dimOf('encoder')
    + heapBytes + workerHeapBytes.length + Number(cleared) + tileCount;
}
