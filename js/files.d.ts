// Types of georange/files (js/files.js).

/** A grid of cells as the map layers make it (`georange/layers`: a picture's `grid`). */
export interface GeoGrid {
  /** [west, south, east, north] in degrees. */
  bounds: ArrayLike<number>;
  /** `'mercator'` (rows evenly spaced in Web Mercator y: EPSG:3857) or `'lonlat'` (EPSG:4326). */
  projection: 'mercator' | 'lonlat';
  cols: number;
  rows: number;
  /** Values per cell of `embeddings`. */
  dim?: number;
  /** cells × dim, row by row from the north-west corner; a row of zeros is a cell not embedded. */
  embeddings?: Float32Array;
}

/** What `toGeoTiff` writes. */
export type GeoTiffSource =
  | { image: { width: number; height: number; data: ArrayLike<number> }; grid: GeoGrid; variant?: string; beta?: number }
  | { grid: GeoGrid; values?: ArrayLike<number> }
  | GeoGrid;

export interface GeoTiffOptions {
  /** For embeddings: the dimensions to write as bands (indices; default all). */
  bands?: ArrayLike<number>;
  /** The model (a GeoRange: its identity; or a name), written into the metadata. */
  model?: object | string;
  /** The variant and β, written into the metadata (a picture's own by default). */
  variant?: string;
  beta?: number;
  /** More metadata items (GDAL_METADATA). */
  metadata?: Record<string, string | number>;
}

/**
 * A GeoTIFF of a picture (RGBA bytes, alpha 0 where nothing is drawn), a grid's embeddings
 * (float32 bands, all or `bands`; NaN, the no-data value, where a cell is not embedded) or
 * per-cell `values` (k float32 bands), georeferenced as the grid (EPSG:4326 or EPSG:3857) with
 * the model, variant and β in its metadata. GDAL, QGIS and rasterio open it.
 */
export declare function toGeoTiff(source: GeoTiffSource, options?: GeoTiffOptions): Promise<ArrayBuffer>;

/** What `embedFile` reports after each batch. */
export interface EmbedFileProgress {
  /** Rows written so far. */
  rows: number;
  /** Bytes of the input read so far, and in all (a File or Blob's size). */
  bytes: number;
  totalBytes?: number;
  pointsPerSecond: number;
  /** From the bytes read so far (a File or Blob only). */
  secondsLeft?: number;
}

export interface EmbedFileOptions {
  /** Where to write: a path (Node.js), a WritableStream or FileSystemWritableFileStream (a
   * `.npy` needs one that can seek: File System Access or the origin-private file system), or
   * left out: the result's `blob`. */
  output?: string | URL | WritableStream;
  /** `'npy'` (default: float32, rows × dim) or `'csv'` (the input's columns, then `emb_0…`). */
  format?: 'npy' | 'csv';
  /** The longitude and latitude columns (default: lon/lng/long/longitude/x and lat/latitude/y, any case). */
  lon?: string;
  lat?: string;
  variant?: 'encoder' | 'range' | 'range+';
  beta?: number;
  /** Rows per batch (default 1024): memory is about a batch's. */
  batchSize?: number;
  /** `'csv'` or `'geojson'` (default: by the file's name: .geojson / .json is GeoJSON). */
  inputFormat?: 'csv' | 'geojson';
  /** GeoJSON: points spread by area inside each polygon (default 20), seeded by `seed` (0); the
   * polygon's embedding is their mean. */
  samples?: number;
  seed?: number;
  /** Leave out rows whose coordinate is not on the globe (listed in `skipped`) instead of stopping. */
  skipBadRows?: boolean;
  onProgress?: (p: EmbedFileProgress) => void;
  /** Stops after the batch in flight; what is written stays readable (code `aborted`). */
  signal?: AbortSignal;
}

/**
 * Embeds every place of a file (a File / Blob, a ReadableStream, or a path in Node.js) and
 * writes the embeddings as they come. A CSV is streamed (memory a batch's whatever the file's
 * size); GeoJSON is read whole, a Point embedded, a MultiPoint / Polygon / MultiPolygon the mean
 * embedding of its points or of `samples` points spread inside. A bad coordinate (or a feature
 * it cannot embed) stops the run with its `row` (data rows / features from 0) and code, the rows
 * before it written and readable; `skipBadRows` lists such rows in `skipped` instead.
 */
export declare function embedFile(model: object, input: Blob | ReadableStream<Uint8Array> | string | URL, options?: EmbedFileOptions):
  Promise<{ rows: number; dim: number; skipped: { row: number; code: string; message: string }[]; seconds: number; samples?: number; blob?: Blob }>;
