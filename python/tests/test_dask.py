"""georange.dask on a real Dask cluster on this machine: LocalCluster(2 workers, 1 thread)
over a Parquet file of 20,000+ points (poles, the antimeridian, duplicates) in 6 partitions,
against one in-process embed call; the output Parquet read back."""

import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

import georange
import georange.dask


def points_frame(n=20_000, seed=7):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    special = np.array([[0, 90], [0, -90], [137.5, 90], [-180, 0], [180, 0], [180, 45.5], [-180, -45.5],
                        [179.9999, 10], [-179.9999, 10], [0, 0]])
    dups = np.column_stack([lon[:50], lat[:50]])  # the same points twice, in other partitions
    pts = np.vstack([np.column_stack([lon, lat]), special, dups])
    order = rng.permutation(len(pts))
    return pd.DataFrame({"id": np.arange(len(pts)), "lon": pts[order, 0], "lat": pts[order, 1],
                         "name": [f"p{i}" for i in range(len(pts))]})


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            yield client


def test_dask_partitions_on_two_workers_equal_one_call(l40, cluster, tmp_path):
    """Partitions of 4,000 rows embedded in batches of 500 on two worker processes: the same
    bits as one in-process call in batches of 500 (the same batches). Against the default
    batches (8,192 points), rows differ by f32 summation order only: relative ≤ 1e-6 per row
    (a point's embedding does not depend on its batch beyond that: tests/batching.rs)."""
    encoder, bank = l40
    frame = points_frame()
    source = tmp_path / "points.parquet"
    frame.to_parquet(source, row_group_size=4000)
    df = dd.read_parquet(source, split_row_groups=True)
    assert df.npartitions >= 5 and len(frame) >= 20_000

    out = georange.dask.embed(df, encoder=str(encoder), bank=str(bank), lon="lon", lat="lat", variant="range+", beta=0.5,
                              batch_size=500)
    model = georange.Model(encoder, bank=bank)
    assert out.dtypes["embedding"] == pd.ArrowDtype(pa.list_(pa.float32(), model.dim("range+")))
    target = tmp_path / "embedded"
    out.to_parquet(target)
    # Both workers took part, and each loaded the model once however many partitions it ran.
    loads = cluster.run(lambda: sum(1 for k in georange._LOADED if k[0] == __import__("os").getpid()))
    assert sorted(loads.values()) == [1, 1], loads

    # pandas needs dtype_backend="pyarrow" for Arrow list columns (pandas-dev/pandas#59738).
    got = pd.read_parquet(target, dtype_backend="pyarrow").sort_values("id")
    rows = np.stack(got["embedding"].to_numpy())
    points = frame.sort_values("id")[["lon", "lat"]].to_numpy()
    same_batches = model.embed(points, variant="range+", beta=0.5, batch_size=500)
    assert rows.shape == same_batches.shape == (len(frame), model.dim("range+"))
    assert np.array_equal(rows, same_batches)
    default = model.embed(points, variant="range+", beta=0.5)
    rel = np.linalg.norm(rows - default, axis=1) / np.linalg.norm(default, axis=1)
    assert rel.max() <= 1e-6, rel.max()
    assert (got["name"].to_numpy() == frame.sort_values("id")["name"].to_numpy()).all()


def test_one_partition_in_one_batch_gives_identical_bits(l40):
    """Partitions embedded in batches of the same composition as the in-process call: the same bits."""
    encoder, bank = l40
    frame = points_frame(2_000)
    df = dd.from_pandas(frame, npartitions=4)
    out = georange.dask.embed(df, encoder=str(encoder), bank=str(bank), batch_size=100).compute(scheduler="threads")
    model = georange.Model(encoder, bank=bank)
    for part in np.array_split(np.arange(len(frame)), 4):  # from_pandas cuts in order
        chunk = frame.iloc[part]
        want = model.embed(chunk[["lon", "lat"]].to_numpy(), batch_size=100)
        assert np.array_equal(np.stack(out.loc[chunk.index, "embedding"].to_numpy()), want)


def test_the_output_parquet_round_trips_in_pyarrow_pandas_polars_and_duckdb(l40, tmp_path):
    encoder, bank = l40
    frame = points_frame(300)
    df = dd.from_pandas(frame, npartitions=2)
    out = georange.dask.embed(df, encoder=str(encoder), bank=str(bank))
    out.to_parquet(tmp_path / "o")
    written = out.compute(scheduler="threads").sort_values("id")  # the same batches again: the same bits
    dim = georange.Model(encoder, bank=bank).dim("range+")
    want = np.stack(written["embedding"].to_numpy())
    assert want.shape == (len(frame), dim)
    table = pq.read_table(tmp_path / "o").sort_by("id")
    kind = table.schema.field("embedding").type
    assert pa.types.is_fixed_size_list(kind) and kind.list_size == dim and kind.value_type == pa.float32()
    assert table.schema.field("lon").type == pa.float64() and table.num_rows == len(frame)
    assert np.array_equal(table["embedding"].combine_chunks().flatten().to_numpy().reshape(-1, dim), want)
    back = pd.read_parquet(tmp_path / "o", dtype_backend="pyarrow").sort_values("id")
    assert back["embedding"].dtype.pyarrow_dtype.list_size == dim
    assert np.array_equal(np.stack(back["embedding"].to_numpy()), want)
    assert list(back["name"]) == list(written["name"])
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    pl = polars.read_parquet(tmp_path / "o" / "*.parquet").sort("id")
    assert pl.schema["embedding"] == polars.Array(polars.Float32, dim)
    assert np.array_equal(pl["embedding"].to_numpy(), want)
    con = duckdb.connect()
    rows = con.execute(f"SELECT id, embedding FROM read_parquet('{tmp_path / 'o'}/*.parquet') ORDER BY id").fetchall()
    assert len(rows) == len(frame) and np.allclose(np.array([r[1] for r in rows], dtype=np.float32), want, rtol=0, atol=0)
    # Parquet has no fixed-size list: DuckDB reads a FLOAT[] list (pyarrow and Polars restore
    # the fixed size from the Arrow schema the file carries).
    assert con.execute(f"DESCRIBE SELECT embedding FROM read_parquet('{tmp_path / 'o'}/*.parquet')").fetchone()[1] == "FLOAT[]"
    assert {len(r[1]) for r in rows} == {dim}


def test_bad_input_fails_before_or_with_its_row(l40, tmp_path):
    encoder, bank = l40
    frame = points_frame(100)
    frame.loc[57, "lat"] = 95.0
    df = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(georange.BadCoordinate) as e:
        georange.dask.embed(df, encoder=str(encoder), bank=str(bank)).compute(scheduler="threads")
    assert e.value.code == "bad_coordinate" and "index 57" in str(e.value)
    with pytest.raises(georange.BadFile):  # at once, on the client
        georange.dask.embed(df, encoder=str(bank), bank=str(bank))
    with pytest.raises(KeyError):
        georange.dask.embed(df, encoder=str(encoder), bank=str(bank), lon="longitude")


def test_a_geoparquet_file_of_wkb_points(l40, tmp_path):
    """A GeoParquet file (WKB points in its `geometry` column, `geo` metadata, as GeoPandas
    writes it) embeds from its geometry, with the same bits as from lon/lat columns; a
    non-point geometry names its row."""
    import json
    import struct

    encoder, bank = l40
    frame = points_frame(500)
    wkb = [struct.pack("<BIdd", 1, 1, x, y) if i % 2 else struct.pack(">BIdd", 0, 1, x, y)
           for i, (x, y) in enumerate(zip(frame["lon"], frame["lat"]))]
    wkb[7] = struct.pack("<BIIdd", 1, 0x20000001, 4326, frame["lon"][7], frame["lat"][7])  # EWKB with an SRID
    table = pa.table({"id": frame["id"], "geometry": pa.array(wkb, pa.binary())})
    geo = {"version": "1.1.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, tmp_path / "points.geoparquet", row_group_size=100)

    df = dd.read_parquet(tmp_path / "points.geoparquet", split_row_groups=True)
    got = georange.dask.embed(df, encoder=str(encoder), bank=str(bank), geometry="geometry", batch_size=100)
    got = got.compute(scheduler="threads").sort_values("id")
    model = georange.Model(encoder, bank=bank)
    want = model.embed(frame[["lon", "lat"]].to_numpy(), batch_size=100)
    assert np.array_equal(np.stack(got["embedding"].to_numpy()), want)

    line = struct.pack("<BII", 1, 2, 2) + struct.pack("<4d", 0, 0, 1, 1)
    bad = pd.DataFrame({"geometry": [wkb[0], line]})
    with pytest.raises(georange.InvalidArgument) as e:
        georange.dask.embed_frame(bad, model, geometry="geometry")
    assert e.value.row == 1 and "not a point" in str(e.value)
