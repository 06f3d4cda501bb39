"""Bad input through the Python API: every encoder and bank file of tests/hostile/ (made by
tools/fixtures/make_hostile_files.py) and every other file there given as an encoder, bad
coordinates, bad arguments: a GeoRangeError with the JS package's code, never a crash."""

import json
import os

import numpy as np
import pytest

import georange
from conftest import HOSTILE, ROOT

MANIFEST = json.loads((HOSTILE / "manifest.json").read_text())
SEED_ENCODER = {"bank": ROOT / "fuzz/seeds/encoder_file/satclip_f32.safetensors",
                "pair-geoclip": ROOT / "fuzz/seeds/encoder_file/geoclip_int8.safetensors"}


@pytest.mark.parametrize("case", MANIFEST, ids=[c["file"] for c in MANIFEST])
def test_every_hostile_file_is_refused_with_a_file_code(case):
    path = HOSTILE / case["file"]
    if case["kind"] in SEED_ENCODER:
        load = lambda source: georange.Model(SEED_ENCODER[case["kind"]], bank=source)
    else:  # an encoder file, or a converter's input (checkpoint, database, .npy) given as one
        load = lambda source: georange.Model(source)
    for source in (path, path.read_bytes()):
        with pytest.raises(georange.GeoRangeError) as e:
            load(source)
        assert e.value.code in ("bad_file", "pair_mismatch"), (e.value.code, str(e.value))
        assert isinstance(e.value, georange.BY_CODE[e.value.code])
        assert "\n" not in str(e.value)
        if case["kind"] in ("encoder", "bank", "pair-geoclip"):
            assert case["message"].lower() in str(e.value).lower()


def test_a_missing_file_is_an_os_error_with_code_io(tmp_path):
    with pytest.raises(georange.FileUnreadable) as e:
        georange.Model(tmp_path / "none.safetensors")
    assert e.value.code == "io" and isinstance(e.value, OSError)
    with pytest.raises(georange.FileUnreadable):
        georange.Model(tmp_path)  # a directory


@pytest.mark.parametrize("bad, row", [((np.nan, 0.0), 3), ((0.0, np.inf), 0), ((0.0, 91.0), 4), ((0.0, -90.5), 9)])
def test_a_bad_coordinate_is_a_value_error_naming_its_row(l40, bad, row):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    points = np.zeros((10, 2))
    points[row] = bad
    for batch_size in (8192, 3):  # the row is the caller's, whatever the batches
        with pytest.raises(georange.BadCoordinate) as e:
            m.embed(points, batch_size=batch_size)
        assert isinstance(e.value, ValueError)
        assert e.value.code == "bad_coordinate" and e.value.row == row, (e.value.row, str(e.value))
        assert str(e.value).startswith(f"row {row}")


def test_an_error_in_the_third_batch_names_the_callers_row(l40):
    """The engine cuts the batches and is told nothing else: it names the caller's row itself."""
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    points = np.zeros((10, 2))
    points[7] = (0.0, 95.0)
    done = []
    with pytest.raises(georange.BadCoordinate) as e:
        m.embed(points, batch_size=3, progress=lambda d, total: done.append(d))
    assert e.value.row == 7 and str(e.value).startswith("row 7: latitude 95"), str(e.value)
    assert done == []  # the whole call is checked before its first batch runs


def test_the_old_model_argument_still_works_with_a_warning(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    points = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(DeprecationWarning, match="variant"):
        old = m.embed(points, model="range")
    assert np.array_equal(old, m.embed(points, variant="range"))
    assert m.high_part(old, "range").shape == (2, m.dim("range") - m.dim("encoder"))
    assert m.high_part(old, "encoder").shape == (2, 0)


def test_bad_arguments_are_invalid_argument(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    cases = [lambda: m.embed(np.zeros((3, 3))), lambda: m.embed(np.zeros(4)), lambda: m.embed(np.zeros((2, 2)), variant="rnage"),
             lambda: m.embed(np.zeros((2, 2)), variant="range+", beta=1.5), lambda: m.dim("nope"),
             lambda: georange.Model(encoder).embed(np.zeros((2, 2)), variant="range"),
             lambda: georange.Model(encoder, threads=0), lambda: georange.Model(encoder, device="tpu"),
             lambda: m.embed(np.zeros((2, 2)), batch_size=0)]
    for i, call in enumerate(cases):
        with pytest.raises(georange.InvalidArgument) as e:
            call()
        assert e.value.code == "invalid_argument" and isinstance(e.value, ValueError), i


def test_a_closed_model_raises_disposed(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    m.close()
    with pytest.raises(georange.Disposed) as e:
        m.embed([[0.0, 0.0]])
    assert e.value.code == "disposed"


def test_codes_are_the_engines_and_the_js_packages():
    assert set(georange.CODES) == set(georange._georange.error_codes())
    js = (ROOT / "js" / "errors.js").read_text()
    for code in georange.CODES:
        assert f"'{code}'" in js, code


def _pin(path):
    """A file's pin as `georange info` prints it."""
    import subprocess
    from conftest import CLI
    out = subprocess.run([str(CLI), "info", str(path)], check=True, capture_output=True, text=True).stdout
    return next(line[4:] for line in out.splitlines() if line.startswith("pin "))


def test_pinned_files_load_and_another_is_refused_with_code_integrity(l40):
    encoder, bank = l40
    pins = {"encoder": _pin(encoder), "bank": _pin(bank)}
    assert pins["encoder"].startswith("blake3-") and pins["encoder"] != pins["bank"]
    georange.Model(encoder, bank, integrity=pins).close()
    for wrong in ({"encoder": pins["bank"]}, {**pins, "bank": pins["encoder"]}):
        with pytest.raises(georange.IntegrityError) as e:
            georange.Model(encoder, bank, integrity=wrong)
        assert e.value.code == "integrity" and "is not the pinned" in str(e.value)
    for bad in ({"encoder": "md5-00"}, {"weights": pins["encoder"]}):
        with pytest.raises(georange.InvalidArgument):
            georange.Model(encoder, bank, integrity=bad)
