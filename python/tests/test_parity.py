"""Parity with the reference's golden outputs (tests/fixtures, made with `rangegeo` and
GeoCLIP by tools/fixtures/), through the Python API, with the Rust parity tests' tolerances
(tests/parity.rs, tests/geoclip.rs), by |latitude| of the query:
- the normalised encoder part: max |Δ| ≤ 1e-6·max(‖want‖, 1) below 30°, ≤ 5e-4·… for 30–60°,
  cosine ≥ 0.999 above;
- the high-resolution part: relative error ‖Δ‖/‖want‖ ≤ 1e-5 below 30°, ≤ 1e-3 for 30–60°;
- the whole row: cosine ≥ 0.999 everywhere."""

import numpy as np
import pytest

import georange
from conftest import golden, queries

VARIANTS = [("range", "range", 0.5), ("rangeplus_b0", "range+", 0.0), ("rangeplus_b05", "range+", 0.5),
            ("rangeplus_b1", "range+", 1.0)]


def cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def check_rows(got, want, high_dim, label):
    assert got.shape == want.shape, label
    lats = np.abs(queries()[:, 1])
    for i, lat in enumerate(lats):
        g, w = got[i].astype(np.float64), want[i].astype(np.float64)
        (gh, wh), (gq, wq) = (g[:high_dim], w[:high_dim]), (g[high_dim:], w[high_dim:])
        ctx = f"{label} row {i} |lat| {lat:.2f}"
        assert cosine(g, w) >= 0.999, f"{ctx}: row cosine {cosine(g, w)}"
        if lat < 60:
            q_tol, h_tol = (1e-6, 1e-5) if lat < 30 else (5e-4, 1e-3)
            assert np.abs(gq - wq).max() <= q_tol * max(np.linalg.norm(wq), 1.0), f"{ctx}: q max|Δ|"
            if high_dim:
                rel = np.linalg.norm(gh - wh) / np.linalg.norm(wh)
                assert rel <= h_tol, f"{ctx}: high rel {rel}"
        else:
            assert cosine(gq, wq) >= 0.999, f"{ctx}: q cosine {cosine(gq, wq)}"


@pytest.mark.parametrize("tag", ["l40", "l10"])
def test_satclip_range_and_range_plus_match_the_reference(satclip, tag):
    encoder, bank = satclip[tag]
    m = georange.Model(encoder, bank=bank, device="cpu")
    points = queries()
    check_rows(m.embed(points, variant="encoder"), golden(f"golden_{tag}_encoder"), 0, f"{tag} encoder")
    high = m.dim("range") - m.dim("encoder")
    for name, model, beta in VARIANTS:
        got = m.embed(points, variant=model, beta=beta)
        assert got.dtype == np.float32 and got.shape == (len(points), m.dim(model))
        check_rows(got, golden(f"golden_{tag}_{name}"), high, f"{tag} {name}")


def test_geoclip_real_weights_match_geoclip(geoclip):
    """GeoCLIP's real encoder against GeoCLIP in float64 (relative ≤ 1e-5 per row), and RANGE
    over it against a plain float64 computation (high part relative ≤ 1e-5, q max|Δ| ≤ 1e-6)."""
    encoder, bank = geoclip
    m = georange.Model(encoder, bank=bank)
    points = queries()
    got = m.embed(points, variant="encoder")
    want = golden("golden_geoclip_f64")
    rel = np.linalg.norm(got - want, axis=1) / np.linalg.norm(want, axis=1)
    assert rel.max() <= 1e-5, rel.max()
    for model, beta, name in [("range", 0.5, "golden_geoclip_range_f64"), ("range+", 0.5, "golden_geoclip_rangeplus_b05_f64")]:
        got, want = m.embed(points, variant=model, beta=beta).astype(np.float64), golden(name)
        high = want.shape[1] - m.dim("encoder")
        rel = np.linalg.norm(got[:, :high] - want[:, :high], axis=1) / np.linalg.norm(want[:, :high], axis=1)
        assert rel.max() <= 1e-5, (model, rel.max())
        assert np.abs(got[:, high:] - want[:, high:]).max() <= 1e-6, model


def test_bytes_and_paths_give_the_same_bits(l40):
    encoder, bank = l40
    points = queries()
    by_path = georange.Model(encoder, bank=bank).embed(points)
    by_bytes = georange.Model(encoder.read_bytes(), bank=bytearray(bank.read_bytes())).embed(points)
    assert np.array_equal(by_path, by_bytes)


def test_batches_and_threads_do_not_change_the_rows_beyond_rounding(l40):
    encoder, bank = l40
    points = queries()
    one = georange.Model(encoder, bank=bank, threads=1)
    assert one.threads == 1
    whole = one.embed(points, variant="range+")
    small = georange.Model(encoder, bank=bank, threads=2).embed(points, variant="range+", batch_size=3)
    assert np.abs(whole - small).max() <= 1e-6 * np.abs(whole).max()


def test_explain_lists_the_heaviest_bank_rows(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    rows = m.explain(10.0, 45.0, k=5)
    assert len(rows) == 5
    weights = [w for _, w, _, _ in rows]
    assert weights == sorted(weights, reverse=True) and all(0 <= w <= 1 for w in weights)
    for index, _, lon, lat in rows:
        assert isinstance(index, int) and -180 <= lon <= 180 and -90 <= lat <= 90


def test_dims_and_defaults(l40):
    encoder, bank = l40
    with georange.Model(encoder, bank=bank) as m:
        assert m.dim("range+") == m.dim("range") > m.dim("encoder") == 256
        assert m.embed([[0.0, 0.0]]).shape == (1, m.dim("range+"))  # range+ is the default with a bank
        assert m.backend == "cpu" and m.note == ""
    encoder_only = georange.Model(encoder)
    assert encoder_only.embed([[0.0, 0.0]]).shape == (1, 256)


def test_device_wgpu_agrees_with_the_cpu_or_says_it_is_unavailable(l40):
    """device="wgpu" (Vulkan: Mesa's lavapipe on a machine without a GPU, as ./test.sh installs):
    cosine ≥ 0.999 per row against the CPU, as the Rust GPU tests hold; with no adapter at all,
    `Unavailable`."""
    encoder, bank = l40
    try:
        gpu = georange.Model(encoder, bank=bank, device="wgpu")
    except georange.Unavailable as e:
        assert e.code == "unavailable"
        pytest.skip(f"no GPU adapter here: {e}")
    assert gpu.backend == "webgpu"  # the one name of the GPU backend; "wgpu" is read as it
    points = queries()
    for model, beta in [("encoder", 0.5), ("range", 0.5), ("range+", 0.5)]:
        got = gpu.embed(points, variant=model, beta=beta)
        want = georange.Model(encoder, bank=bank).embed(points, variant=model, beta=beta)
        cos = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
        assert cos.min() >= 0.999, (model, cos.min())


def test_int8_compute_stays_within_its_target_and_refuses_unknown_names(tmp_path):
    """`compute="int8"` (issue 42) on an int8 bank: within cosine 0.9999 and relative error
    1e-3 of the exact arithmetic for the held-out queries and a global grid, and not the same
    numbers (the option does something)."""
    from conftest import FIXTURES, cli
    cli("convert", "satclip", "--ckpt", FIXTURES / "satclip_l40.ckpt", "--db", FIXTURES / "range_db_l40.npz",
        "--out", tmp_path, "--dtype", "int8")
    model = georange.Model(tmp_path / "encoder.safetensors", bank=tmp_path / "bank.safetensors")
    lon, lat = np.meshgrid(np.arange(-180, 181, 15.0), np.arange(-90, 91, 15.0))
    points = np.concatenate([queries(), np.stack([lon.ravel(), lat.ravel()], axis=1)])
    exact = model.high_part(model.embed(points, "range+", 0.5), "range+").astype(np.float64)
    int8 = model.high_part(model.embed(points, "range+", 0.5, compute="int8"), "range+").astype(np.float64)
    rel = np.linalg.norm(int8 - exact, axis=1) / np.linalg.norm(exact, axis=1)
    cos = np.sum(int8 * exact, axis=1) / (np.linalg.norm(int8, axis=1) * np.linalg.norm(exact, axis=1))
    assert rel.max() <= 1e-3 and cos.min() >= 0.9999, (rel.max(), cos.min())
    assert rel.max() > 0
    with pytest.raises(georange.InvalidArgument) as e:
        model.embed(points, compute="int4")
    assert e.value.code == "invalid_argument"
