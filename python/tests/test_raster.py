"""georange.raster (issue 44): a box of the world as a float32 GeoTIFF in EPSG:4326, written a
window at a time by the core's writer, as rasterio (GDAL) reads it: CRS, corners, size, no-data,
metadata, and at chosen cells the embedding of the cell's centre (within 1e-5)."""

import numpy as np
import pytest
import rasterio

import georange


@pytest.fixture(scope="module")
def model(l40):
    encoder, bank = l40
    return georange.Model(encoder, bank=bank)


def test_a_box_as_a_geotiff_of_embeddings(model, tmp_path):
    path = tmp_path / "box.tif"
    seen = []
    out = georange.raster((-20, -10, 20, 30), 2.5, model=model, path=path, variant="range+", beta=0.5,
                          window_cells=50, progress=lambda done, total: seen.append((done, total)))
    dim = model.dim("range+")
    assert out == {"path": str(path), "width": 16, "height": 16, "bands": dim}
    assert seen[-1] == (16, 16) and len(seen) == 6, "windows of 3 rows (50 cells // 16)"
    with rasterio.open(path) as ds:
        assert ds.crs.to_epsg() == 4326
        assert tuple(ds.bounds) == (-20, -10, 20, 30)
        assert (ds.width, ds.height, ds.count, ds.dtypes[0]) == (16, 16, dim, "float32")
        assert np.isnan(ds.nodata)
        tags = ds.tags()
        assert (tags["variant"], tags["beta"]) == ("range+", "0.5") and tags["model"] == model._live.identity
        data = ds.read()
        for lon, lat in [(-18.75, 28.75), (1.25, 1.25), (18.75, -8.75)]:
            r, c = ds.index(lon, lat)
            want = model.embed(np.array([[lon, lat]]), "range+", 0.5)[0]
            np.testing.assert_allclose(data[:, r, c], want, atol=1e-5)


def test_chosen_bands_and_bad_boxes(model, tmp_path):
    path = tmp_path / "bands.tif"
    georange.raster((100, -5, 110, 5), 1.0, model=model, path=path, variant="range", bands=[0, 3])
    with rasterio.open(path) as ds:
        assert ds.count == 2
        r, c = ds.index(100.5, 4.5)
        want = model.embed(np.array([[100.5, 4.5]]), "range")[0][[0, 3]]
        np.testing.assert_allclose(ds.read()[:, r, c], want, atol=1e-5)
    for box, cell in [((10, 0, 5, 5), 1.0), ((0, 0, 10, 95), 1.0), ((0, 0, 1, 1), 0.0)]:
        with pytest.raises(georange.InvalidArgument):
            georange.raster(box, cell, model=model, path=tmp_path / "bad.tif")
    with pytest.raises(georange.InvalidArgument):
        georange.raster((0, 0, 1, 1), 0.5, model=model, path=tmp_path / "bad.tif", bands=[10_000])
