""""Places like this" from Python: ``rank_bank`` and ``places_like`` against a brute-force
cosine over the bank file (read here with NumPy: safetensors is a JSON header and raw arrays),
on the SatCLIP fixture (f32) and on GeoCLIP's real encoder with its 2,000-row bank."""
import json
import struct

import numpy as np
import pytest

import georange


def bank_rows(path, name):
    """A bank file's tensor ``name`` as float64 rows (f32, or int8 codes times ``name.scale``)."""
    data = open(path, "rb").read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])

    def tensor(key):
        info = header[key]
        a, b = info["data_offsets"]
        dtype = {"F32": np.float32, "I8": np.int8}[info["dtype"]]
        return np.frombuffer(data[8 + size + a:8 + size + b], dtype=dtype).reshape(info["shape"])

    rows = tensor(name).astype(np.float64)
    if header[name]["dtype"] == "I8":
        rows *= tensor(name + ".scale").astype(np.float64)[:, None]
    return rows


def brute_force(rows, query):
    q = np.asarray(query, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(q)
    return np.where(norms > 0, rows @ q / np.where(norms > 0, norms, 1), 0.0)


@pytest.mark.parametrize("which", ["l40", "geoclip"])
def test_ranking_matches_brute_force_by_values_and_keys(which, request):
    encoder, bank = request.getfixturevalue(which)
    values, keys = bank_rows(bank, "values"), bank_rows(bank, "keys")
    locs = bank_rows(bank, "locs")
    with georange.Model(encoder, bank=bank) as m:
        vd = m.dim("range") - m.dim("encoder")
        for lon, lat in [(2.35, 48.85), (-60.0, -3.0), (179.5, -16.5)]:
            v = m.embed([[lon, lat]], variant="range+", beta=0.5)[0]
            for by, rows, query in [("values", values, v[:vd]), ("keys", keys, v[vd:])]:
                want = brute_force(rows, query)
                kth = np.sort(want)[::-1][14]
                got = m.rank_bank(query, by=by, k=15)
                assert len(got) == 15
                sims = [s for _, s, _, _ in got]
                assert sims == sorted(sims, reverse=True)
                for index, sim, lon_, lat_ in got:
                    # f32 sums against float64: 1e-5 in the cosine; the same rows up to ties.
                    assert abs(sim - want[index]) < 1e-5
                    assert want[index] >= kth - 1e-5
                    assert (lon_, lat_) == (pytest.approx(locs[index, 0]), pytest.approx(locs[index, 1]))
            assert m.places_like(lon, lat, k=5) == m.rank_bank(v[:vd], k=5)


def test_bad_queries_raise_invalid_argument(l40):
    encoder, bank = l40
    with georange.Model(encoder, bank=bank) as m:
        with pytest.raises(georange.InvalidArgument) as e:
            m.rank_bank([1.0, 2.0, 3.0])
        assert e.value.code == "invalid_argument"
        with pytest.raises(georange.InvalidArgument):
            m.rank_bank(np.zeros(m.dim("encoder")), by="nearby")
        with pytest.raises(georange.InvalidArgument):
            m.rank_bank(np.full(m.dim("encoder"), np.nan), by="keys")
