import type { GeoRange, EmbedOptions } from '../georange.js';

/** `[west, south, east, north]` in degrees. A box across the antimeridian may have
 * west > east (or east past 180°). */
export type Bounds = [number, number, number, number] | number[];

/** How a map draws an image over a box: Web Mercator (MapLibre, Leaflet, OpenLayers in
 * EPSG:3857, deck.gl's MapView) or plain lon/lat (EPSG:4326). */
export type Projection = 'mercator' | 'lonlat';

export interface GridOptions {
  /** The box to cover. Latitudes are clamped to ±85.05° in Mercator, ±90° in lon/lat. */
  bounds: Bounds;
  /** The view's size in pixels, `[width, height]`; with `cellSize`, sets the cells. */
  size?: [number, number] | number[];
  /** Pixels per cell (default 8). */
  cellSize?: number;
  /** Cells across and down (override `size` / `cellSize`). */
  cols?: number;
  rows?: number;
  /** Default `'mercator'`. */
  projection?: Projection;
  /** The output to embed (`GeoRange.embed`'s `variant`). */
  variant?: EmbedOptions['variant'];
  /** @deprecated the first name of `variant` (still read, with a note on the console). */
  model?: EmbedOptions['variant'];
  beta?: number;
  /** Points per batch (default 256): the page repaints, and `signal` is checked, between them. */
  batchSize?: number;
  /** `GeoRange.embed`'s `compute` (default `'exact'`). */
  compute?: EmbedOptions['compute'];
  /** Cancels the grid between batches (rejects with `code` `'aborted'`). */
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

/** Cells over a box: `points` are their centres, row by row from the north-west. */
export interface GridCells {
  /** The box as covered: east > west (unwrapped), latitudes clamped. Place the image here. */
  bounds: [number, number, number, number];
  projection: Projection;
  cols: number;
  rows: number;
  /** `[lon, lat]` per cell, longitudes wrapped into [−180, 180). */
  points: Float64Array;
}

/** A grid and its embeddings (`cols · rows × dim`, row-major). */
export interface Grid extends GridCells {
  embeddings: Float32Array;
  dim: number;
}

/** The first three principal components of some embeddings: colours for `pcaImage`. */
export interface PcaBasis {
  dim: number;
  mean: Float32Array;
  /** `3 × dim`, row-major: red, green, blue. */
  axes: Float32Array;
  /** Each component's value at colour 0 and 255 (1st and 99th percentile of its fit). */
  lo: number[];
  hi: number[];
}

/** A picture for a map: `ImageData` in a page or a worker; the same fields in Node.js. */
export type LayerImage = ImageData | { data: Uint8ClampedArray; width: number; height: number; colorSpace: 'srgb' };

export interface Legend {
  min: number;
  max: number;
  ramp: string | string[];
  /** Five labels from `min` to `max`, with their colours (`'#rrggbb'`). */
  stops: { value: number; colour: string }[];
}

/** What a layer shows. */
export interface Picture {
  grid: Grid;
  mode: 'pca' | 'similarity';
  image: LayerImage;
  /** PCA: the basis the colours came from (pass it back for the same colours elsewhere). */
  basis?: PcaBasis;
  /** Similarity: each cell's cosine similarity to the reference. */
  scores?: Float32Array;
  legend?: Legend;
}

/** Embeds a grid over a box. */
export function embedGrid(model: GeoRange, options: GridOptions): Promise<Grid>;
/** The cells over a box, without embedding them. */
export function makeGrid(options: Pick<GridOptions, 'bounds' | 'size' | 'cellSize' | 'cols' | 'rows' | 'projection'>): GridCells;
/** The index of the cell holding (`lon`, `lat`), or −1 outside the grid. */
export function cellAt(grid: GridCells, lon: number, lat: number): number;
/** A box as a grid covers it (see `GridCells.bounds`). */
export function normaliseBounds(bounds: Bounds, projection?: Projection): [number, number, number, number];
/** A lon/lat box in EPSG:3857 metres. */
export function mercatorExtent(bounds: Bounds): [number, number, number, number];
/** An EPSG:3857 extent in metres as a lon/lat box. */
export function lonLatBounds(extent: number[]): [number, number, number, number];
/** A longitude in [−180, 180). */
export function wrapLon(lon: number): number;
export const MERCATOR_MAX_LAT: number;

/** A tile of the pyramid map libraries request: Web Mercator's XYZ scheme (z 0 one tile, y
 * counted from the north), or EPSG:4326's for `'lonlat'` (z 0 two tiles side by side). */
export interface Tile { z: number; x: number; y: number }
/** Cells a tile side by default (a 256-pixel tile in 8-pixel cells): 32. */
export const TILE_CELLS: number;
/** Tiles across and down the pyramid at zoom `z`. */
export function tilesAt(z: number, projection?: Projection): [number, number];
/** A tile's `[west, south, east, north]` in degrees; `invalid_argument` off the pyramid. */
export function tileBounds(tile: Tile, projection?: Projection): [number, number, number, number];
/** A tile's fixed grid of `cells` × `cells` (default `TILE_CELLS`): the same points whatever
 * the view. */
export function tileGrid(tile: Tile, options?: { cells?: number; projection?: Projection }): GridCells & { tile: Tile };
/** The order to embed a grid's cells in: one per large block first, then finer, each cell
 * once, so that any prefix already covers the grid (see `sourceCells`). */
export function coarseToFine(cols: number, rows: number): Uint32Array;
/** For each cell, the embedded cell to show in its place (itself, or the middle of the finest
 * block around it that is embedded; −1 if none). `embedded`: one byte per cell. */
export function sourceCells(cols: number, rows: number, embedded: Uint8Array): Int32Array;
/** A tile's grid as `embedTile` reports it: every cell filled in, `embedded` of them their own. */
export interface TileStage extends Grid {
  tile: Tile;
  /** How many cells are embedded (the rest show the nearest embedded cell's embedding). */
  embedded: number;
}
/** Embeds a tile's cells coarse first (stages of 1, 4, 16 … cells, then all), calling
 * `onStage` after each; resolves to the whole tile. Each cell is embedded once. */
export function embedTile(model: GeoRange, tile: Tile, options?: {
  /** Cells a side (default `TILE_CELLS`). */
  cells?: number;
  projection?: Projection;
  variant?: EmbedOptions['variant'];
  beta?: number;
  batchSize?: number;
  /** `GeoRange.embed`'s `compute` (default `'exact'`). */
  compute?: EmbedOptions['compute'];
  /** Cancels between batches (rejects with `code` `'aborted'`). */
  signal?: AbortSignal;
  onStage?: (stage: TileStage) => void;
}): Promise<TileStage>;
/** A least-recently-used cache of computed tiles bounded by `maxBytes` (default 64 MiB). */
export interface TileCache<T = unknown> {
  get(key: string): T | undefined;
  /** Keeps `value` of `size` bytes; drops the least recently used past the bound. */
  set(key: string, value: T, size: number): void;
  has(key: string): boolean;
  clear(): void;
  readonly size: number;
  readonly bytes: number;
  readonly maxBytes: number;
}
export function tileCache<T = unknown>(options?: { maxBytes?: number }): TileCache<T>;
/** The tiles at zoom `z` that a view over `bounds` shows, nearest its centre first. */
export function tilesCovering(bounds: Bounds, z: number, projection?: Projection): Tile[];
/** The cache key of a tile under these settings (a cache serves one model). */
export function tileKey(settings: { variant?: EmbedOptions['variant']; beta?: number; projection?: Projection; cells?: number }, tile: Tile): string;

/** Fits the first three principal components of `n × dim` embeddings (a sample of ≤ 4,096 rows). */
export function fitPca(embeddings: Float32Array, dim: number): PcaBasis;
/** A basis fitted on the whole world (a coarse lon/lat grid), for colours that stay put. */
export function worldBasis(model: GeoRange, options?: { variant?: EmbedOptions['variant']; beta?: number; cols?: number; rows?: number; signal?: AbortSignal }): Promise<PcaBasis>;
/** The grid coloured by PCA: fitted on it, or with `basis` (the same colours for every grid). */
export function pcaImage(grid: Grid, options?: { basis?: PcaBasis }): { image: LayerImage; basis: PcaBasis };
/** The grid coloured by cosine similarity to `reference`, on `ramp` from `min` to `max`
 * (default: the grid's lowest and highest). */
export function similarityImage(grid: Grid, reference: Float32Array | number[], options?: { min?: number; max?: number; ramp?: string | string[] }):
  { image: LayerImage; scores: Float32Array; legend: Legend };
/** Cosine similarity of each row of `embeddings` with `reference`. */
export function cosineScores(embeddings: Float32Array, reference: Float32Array | number[]): Float32Array;
/** The mean of `rows × dim` embeddings: several points as one reference. */
export function meanEmbedding(embeddings: Float32Array, dim: number): Float32Array;
/** RGBA bytes as an ImageData (or its fields where there is none). */
export function toImage(rgba: Uint8ClampedArray, width: number, height: number): LayerImage;
/** A picture on a new canvas (DOM only): for map libraries that take a canvas or an image. */
export function toCanvas(image: LayerImage): HTMLCanvasElement;
/** A picture as a `data:` PNG URL (DOM only). */
export function toDataUrl(image: LayerImage): string;
/** A picture as PNG bytes (DOM or a worker with OffscreenCanvas). */
export function toPngBytes(image: LayerImage): Promise<ArrayBuffer>;
/** Colour ramps: `viridis` (default), `magma`. */
export const RAMPS: Readonly<Record<string, readonly string[]>>;
/** `t` in [0, 1] on a ramp, as [r, g, b]. */
export function rampColour(t: number, ramp?: string | string[]): [number, number, number];

/** What a map layer embeds and how it colours it. */
export interface LiveLayerOptions {
  /** `'pca'` (default), `'similarity'` (needs `reference`) or `'probe'` (needs `probe`; the
   * tiled layers only). */
  mode?: 'pca' | 'similarity' | 'probe';
  /** Probe mode: the fitted probe whose answers the layer shows (it embeds with the probe's
   * variant and β): a classifier's class in its colour (the legend lists them), or with
   * `probeClass` that class's probability on `ramp`; a regressor's value, or a similarity
   * probe's score ("more like these": `like`'s probability, 0–1), on `ramp`. */
  probe?: import('../georange.js').Probe;
  /** Probe mode: the class whose probability to show (default: each cell's class colour). */
  probeClass?: string | number;
  /** Similarity: the embedding to compare with (as wide as the layer's `variant` output). */
  reference?: Float32Array | number[];
  /** PCA colours: `'view'` (default: fitted on each view; on a tiled layer, on the first
   * view's first cells, then kept until `refit()`), `'world'` (fitted once on the whole world:
   * colours stay put as the view moves), or a basis of your own. */
  basis?: 'view' | 'world' | PcaBasis;
  /** Pixels per cell (default 8). */
  cellSize?: number;
  variant?: EmbedOptions['variant'];
  /** @deprecated the first name of `variant`. */
  model?: EmbedOptions['variant'];
  beta?: number;
  batchSize?: number;
  /** The score pass's arithmetic (`GeoRange.embed`'s `compute`, default `'exact'`). `'int8'`
   * stays within cosine 0.9999 of it but is not yet faster in a browser (BENCHMARKS.md, "int8
   * arithmetic"), so layers do not take it by default. */
  compute?: EmbedOptions['compute'];
  /** Similarity: the ramp and its range. */
  ramp?: string | string[];
  min?: number;
  max?: number;
  onProgress?: (p: { done: number; total: number }) => void;
  /** After each picture is on the map. */
  onRender?: (picture: Picture) => void;
  /** Errors of refreshes the map's events start (default: the console). */
  onError?: (error: Error) => void;
}

/** A layer on a map that follows its view. */
export interface MapLayer {
  /** Embeds the view now (cancelling one running); the picture shown, or null if a later
   * refresh cancelled this one. */
  refresh(): Promise<Picture | null>;
  /** Changes options (`mode`, `reference`, `variant`, `beta`, `basis`, `cellSize`…) and refreshes. */
  update(changes: Partial<LiveLayerOptions>): Promise<Picture | null>;
  /** `refresh` for event handlers: errors go to `onError` or the console. */
  auto(): void;
  /** Stops the embedding running, if any. */
  cancel(): void;
  /** Cancels, stops following the view and takes the layer off the map. */
  remove(): void;
  /** What the layer shows now, or null. */
  readonly current: Picture | null;
  /** Whether an embedding is running. */
  readonly busy: boolean;
}

/** What a tiled map layer embeds and how it colours and keeps it. */
export interface TiledLayerOptions extends LiveLayerOptions {
  /** Points per batch (default 256): the view sharpens, and a moved view takes over, between batches. */
  batchSize?: number;
  /** The cache's bound in bytes (default 128 MiB; tiles are kept as int8 rows). */
  cacheBytes?: number;
  /** A cache of your own (e.g. shared by layers of one model; see `tileCache`). */
  cache?: TileCache;
  /** How far the view is, after each batch: its cells embedded of those it shows. */
  onProgress?: (p: { done: number; total: number; tiles?: number }) => void;
}

/** A tile's latest picture on a tiled layer. */
export interface TilePicture {
  tile: Tile;
  /** Cells a side. */
  cells: number;
  image: LayerImage;
  /** Cells embedded (the rest show their nearest embedded cell). */
  embedded: number;
  complete: boolean;
}

/** What a tiled layer shows: its view's tiles side by side as one picture (one pixel per cell;
 * `grid.points` are the cells' centres; `grid.embeddings`, made when first read, are the cells'
 * rows as the layer keeps them: int8, dequantised, zero for cells not embedded), and each
 * tile's own picture. */
export interface TiledPicture extends Picture {
  tiles: TilePicture[];
}

/** A map layer on its library's tile machinery (what the adapters return unless `tiles: false`). */
export interface TiledMapLayer extends MapLayer {
  /** Embeds what the view lacks; what it shows once whole, or null if the view or the
   * settings changed first. */
  refresh(): Promise<TiledPicture | null>;
  update(changes: Partial<TiledLayerOptions>): Promise<TiledPicture | null>;
  /** Fits the colours again on the view as it is now (they are otherwise kept as the view moves). */
  refit(): Promise<TiledPicture | null>;
  readonly current: TiledPicture | null;
  /** The kept tiles: `size`, `bytes`, `maxBytes`. */
  readonly cache: TileCache;
  /** Points embedded and batches run since the layer was made. */
  readonly stats: { points: number; batches: number };
  /** Cells a tile side now (the tile's pixels over `cellSize`). */
  readonly cells: number;
  /** How far a tile is under the current settings, or null when nothing of it is embedded. */
  tileProgress(tile: Tile): { embedded: number; cells: number; complete: boolean } | null;
}

/** The tiled layer logic without a map: the adapters' common part. `view` says what the map
 * shows (its bounds and the tile zoom it draws), `request` serves the library's tiles. */
export function tiledLayer(options: TiledLayerOptions & {
  geoRange: GeoRange;
  view: () => { bounds: Bounds; z: number } | null;
  /** Pixels a tile side on the map (default 256). */
  tileSize?: number;
  projection?: Projection;
  /** A tile's picture changed (it sharpened). */
  onPicture?: (tile: Tile, picture: TilePicture) => void;
  /** Every tile changed (the settings did): ask for them again. */
  reload?: () => void;
  /** The view is whole (draw now what was held back). */
  settled?: () => void;
  detach?: () => void;
}): TiledMapLayer & {
  /** A tile's picture once it has its first; rejects with code `aborted` when `signal` fires. */
  request(tile: Tile, signal?: AbortSignal): Promise<TilePicture>;
  /** A tile's `[west, south, east, north]`. */
  bounds(tile: Tile): [number, number, number, number];
};

/** The view-sized layer logic without a map (the adapters with `tiles: false`). */
export function liveLayer(options: LiveLayerOptions & {
  geoRange: GeoRange;
  view: () => { bounds: Bounds; size: number[]; projection?: Projection };
  show: (picture: Picture) => void;
  detach?: () => void;
}): MapLayer;
