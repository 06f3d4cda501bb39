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
