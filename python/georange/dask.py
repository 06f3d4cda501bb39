"""Embeddings for Dask DataFrames, partition by partition on the workers.

>>> import dask.dataframe as dd, georange.dask
>>> df = dd.read_parquet("points.parquet")                      # columns lon, lat, …
>>> out = georange.dask.embed(df, encoder="encoder.safetensors", bank="bank.safetensors")
>>> out.to_parquet("embedded/")                                # + an `embedding` column

The model is loaded once on the client (so that a bad file fails at once, and for the
column's width), and goes to the workers as its sources and options, not its weights: each
worker process loads it once, however many partitions it embeds (:func:`georange._restore`).
A worker holds the bank and one partition at a time. The new column is Arrow-backed:
``fixed_size_list<float32>[dim]``, which ``to_parquet`` writes as Parquet that pandas, Polars,
DuckDB and Spark read.
"""

from __future__ import annotations

import struct
from typing import Optional

import numpy as np

from . import BATCH, Model, Source, _variant
from .errors import GeoRangeError, InvalidArgument

__all__ = ["embed", "embed_frame", "embedding_type", "wkb_points"]


def embedding_type(dim: int):
    """The Arrow type of the embedding column: ``fixed_size_list<float32>[dim]``."""
    import pyarrow as pa

    return pa.list_(pa.float32(), dim)


def _column(rows: np.ndarray, index):
    """`(N, dim)` float32 rows as a pandas Series of Arrow fixed-size lists (no copy of the values)."""
    import pandas as pd
    import pyarrow as pa

    flat = pa.array(np.ascontiguousarray(rows, dtype=np.float32).reshape(-1), type=pa.float32())
    lists = pa.FixedSizeListArray.from_arrays(flat, rows.shape[1])
    return pd.Series(pd.arrays.ArrowExtensionArray(lists), index=index)


def wkb_points(values) -> np.ndarray:
    """``(N, 2)`` [lon, lat] from WKB points (a GeoParquet ``geometry`` column in lon/lat,
    OGC:CRS84 / EPSG:4326: GeoParquet's default). 2-D, Z and M points, ISO or EWKB; anything
    else raises :class:`~georange.InvalidArgument` naming its row."""
    out = np.empty((len(values), 2), dtype=np.float64)
    for row, wkb in enumerate(values):
        b = bytes(wkb) if wkb is not None else b""
        if len(b) < 21 or b[0] not in (0, 1):
            raise InvalidArgument(f"row {row}: not a WKB point ({len(b)} bytes)", "invalid_argument", row)
        order = "<" if b[0] == 1 else ">"
        kind = struct.unpack_from(order + "I", b, 1)[0]
        srid = 4 if kind & 0x20000000 else 0  # EWKB: an SRID follows the type
        if (kind & 0xFFFF) % 1000 != 1 or len(b) < 21 + srid:
            raise InvalidArgument(f"row {row}: a WKB geometry of type {kind}, not a point", "invalid_argument", row)
        out[row] = struct.unpack_from(order + "dd", b, 5 + srid)
    return out


def _points(pdf, lon: str, lat: str, geometry: Optional[str]) -> np.ndarray:
    if geometry is not None:
        return wkb_points(pdf[geometry].to_numpy())
    return np.column_stack([pdf[lon].to_numpy(dtype=np.float64), pdf[lat].to_numpy(dtype=np.float64)])


def embed_frame(pdf, model: Model, *, lon: str = "lon", lat: str = "lat", geometry: Optional[str] = None,
                variant: str = "range+", beta: float = 0.5, column: str = "embedding", batch_size: int = BATCH):
    """One pandas DataFrame: a copy with ``column`` added (the function :func:`embed` maps over
    partitions; also a recipe for Ray Data's ``map_batches`` and Spark's ``mapInArrow``).

    A bad coordinate raises :class:`~georange.BadCoordinate` whose ``row`` is its position in
    ``pdf`` and whose message names its index label.
    """
    try:
        rows = model.embed(_points(pdf, lon, lat, geometry), variant, beta, batch_size=batch_size)
    except GeoRangeError as e:
        if e.row is None:
            raise
        label = pdf.index[e.row]
        raise type(e)(f"{e} (index {label!r} of the partition)", e.code, e.row) from None
    out = pdf.copy(deep=False)
    out[column] = _column(rows, pdf.index)
    return out


def embed(df, encoder: Source, bank: Optional[Source] = None, *, lon: str = "lon", lat: str = "lat",
          geometry: Optional[str] = None, variant: Optional[str] = None, beta: float = 0.5, column: str = "embedding",
          device: str = "cpu", threads: Optional[int] = None, batch_size: int = BATCH, model: Optional[str] = None):
    """Adds an ``embedding`` column to a Dask DataFrame, computed on the workers.

    Args:
        df: a Dask DataFrame with longitude and latitude columns in degrees.
        encoder, bank: the model's files (paths every worker can read, or bytes).
        lon, lat: the coordinate columns' names.
        geometry: instead of ``lon``/``lat``, a column of WKB points in lon/lat (a GeoParquet
            file's ``geometry``, read by ``dd.read_parquet``).
        variant: ``"encoder"``, ``"range"`` or ``"range+"`` (default); ``beta``: RANGE+'s mix.
            ``model=`` is its first name (deprecated).
        column: the new column's name.
        device, threads: as for :class:`georange.Model`, on each worker (``threads``: the
            engine's threads per task; with several Dask threads per worker, keep their
            product within the worker's cores).
        batch_size: points per batch within a partition.

    Returns:
        A lazy Dask DataFrame: ``df``'s columns plus ``column``, of Arrow type
        ``fixed_size_list<float32>[dim]``.
    """
    import dask
    import pandas as pd

    variant = _variant(variant, model, "georange.dask.embed", "range+")
    loaded = Model(encoder, bank, device=device, threads=threads)
    dim = loaded.dim(variant)
    if column in df.columns:
        raise ValueError(f"the DataFrame already has a column {column!r}")
    for name in (lon, lat) if geometry is None else (geometry,):
        if name not in df.columns:
            raise KeyError(f"no column {name!r} in the DataFrame (columns: {list(df.columns)})")
    meta = df._meta.assign(**{column: pd.Series(pd.array([], dtype=pd.ArrowDtype(embedding_type(dim))))})
    # One graph key for the model (its sources), not a copy in every task.
    shared = dask.delayed(loaded, pure=True)
    return df.map_partitions(embed_frame, shared, lon=lon, lat=lat, geometry=geometry, variant=variant, beta=beta,
                             column=column, batch_size=batch_size, meta=meta)
