//! What georange writes for other tools to read: GeoTIFF rasters of maps and embeddings
//! ([`geotiff`]) for GIS tools (GDAL, QGIS, rasterio).

pub mod geotiff;
