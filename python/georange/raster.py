"""A box of the world as a GeoTIFF of embeddings (issue 44): ``georange.raster``.

The cells of a longitude/latitude grid (EPSG:4326, ``cell_size_deg`` square, row by row from the
north-west corner, each embedded at its centre) are embedded a window of rows at a time and
written as they come by the core's GeoTIFF writer (``src/export/geotiff.rs``, the same as the
browser's ``toGeoTiff``; a BigTIFF past 4 GiB): memory is a window's, whatever the box's size."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from . import _georange
from .errors import InvalidArgument


def raster(box: Sequence[float], cell_size_deg: float, *, model, path, variant: Optional[str] = None,
           beta: float = 0.5, bands: Optional[Sequence[int]] = None, window_cells: int = 65_536,
           progress=None) -> dict:
    """Writes the embeddings of every cell of ``box`` = ``(west, south, east, north)`` degrees to
    ``path`` as a float32 GeoTIFF in EPSG:4326: one band per dimension of ``variant`` (default
    the model's) or the chosen ``bands`` (indices), the model's identity, the variant and β in
    its metadata. ``window_cells``: cells embedded per window (memory). ``progress(done, total)``
    after each window. Returns ``{"path", "width", "height", "bands"}``."""
    west, south, east, north = (float(v) for v in box)
    if not all(map(math.isfinite, (west, south, east, north, cell_size_deg))) or cell_size_deg <= 0:
        raise InvalidArgument(f"raster: box {tuple(box)} and cell size {cell_size_deg} must be finite, the cell above 0",
                              "invalid_argument")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidArgument(f"raster: box {tuple(box)} is not (west, south, east, north) on the globe", "invalid_argument")
    width = max(1, round((east - west) / cell_size_deg))
    height = max(1, round((north - south) / cell_size_deg))
    variant = variant or model._default_variant
    dim = model.dim(variant)
    pick = np.arange(dim) if bands is None else np.asarray(bands, dtype=np.int64)
    if pick.ndim != 1 or not len(pick) or pick.min() < 0 or pick.max() >= dim:
        raise InvalidArgument(f"raster: bands must be indices below {dim}", "invalid_argument")
    metadata = [("model", model._live.identity), ("variant", variant), ("beta", str(beta))]
    writer = _georange.GeoTiffWriter(str(path), width, height, len(pick), west, north, cell_size_deg, metadata)
    lon = west + (np.arange(width) + 0.5) * cell_size_deg
    rows_per_window = max(1, window_cells // width)
    try:
        for r0 in range(0, height, rows_per_window):
            r1 = min(height, r0 + rows_per_window)
            lat = north - (np.arange(r0, r1) + 0.5) * cell_size_deg
            points = np.stack(np.meshgrid(lon, lat), axis=-1).reshape(-1, 2)
            e = model.embed(points, variant, beta)
            writer.write(np.ascontiguousarray(e[:, pick], dtype=np.float32))
            if progress:
                progress(r1, height)
    finally:
        writer.close()
    return {"path": str(path), "width": width, "height": height, "bands": len(pick)}
