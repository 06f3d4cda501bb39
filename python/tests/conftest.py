"""Fixtures for the Python package's tests: the committed fixtures (tests/fixtures) converted
by the native CLI (`target/release/georange`, built by ./test.sh; GEORANGE_CLI overrides),
and GeoCLIP's real weights (`target/geoclip`, fetched by tools/fetch/fetch_geoclip.sh)."""

import csv
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
HOSTILE = ROOT / "tests" / "hostile"
CLI = Path(os.environ.get("GEORANGE_CLI", ROOT / "target" / "release" / "georange"))
GEOCLIP = Path(os.environ.get("GEORANGE_GEOCLIP_DIR", ROOT / "target" / "geoclip"))


def cli(*args):
    assert CLI.exists(), f"{CLI} not found: build it with `cargo build --release` (./test.sh does)"
    subprocess.run([str(CLI), *map(str, args)], check=True, capture_output=True)


def queries():
    """The fixture query points as an (N, 2) [lon, lat] array."""
    with open(FIXTURES / "queries.csv") as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r["lon"]), float(r["lat"])] for r in rows])


def golden(name):
    return np.load(FIXTURES / f"{name}.npy")


@pytest.fixture(scope="session")
def satclip(tmp_path_factory):
    """Both SatCLIP fixture sets converted in f32: {"l40": (encoder, bank), "l10": …}."""
    sets = {"l40": ("satclip_l40.ckpt", "range_db_l40.npz"), "l10": ("satclip_l10_f32.ckpt", "range_db_l10_f64.npz")}
    out = {}
    for tag, (ckpt, db) in sets.items():
        folder = tmp_path_factory.mktemp(tag)
        cli("convert", "satclip", "--ckpt", FIXTURES / ckpt, "--db", FIXTURES / db, "--out", folder, "--dtype", "f32")
        out[tag] = (folder / "encoder.safetensors", folder / "bank.safetensors")
    return out


@pytest.fixture(scope="session")
def l40(satclip):
    return satclip["l40"]


@pytest.fixture(scope="session")
def geoclip(tmp_path_factory):
    """GeoCLIP's real encoder (f32) and a bank over the committed 2,000-row gallery."""
    weights = GEOCLIP / "location_encoder_weights.pth"
    assert weights.exists(), f"{weights} not found: run tools/fetch/fetch_geoclip.sh (./test.sh does)"
    folder = tmp_path_factory.mktemp("geoclip")
    cli("convert", "geoclip", "--weights", weights, "--out", folder, "--dtype", "f32")
    cli("bank", "build", "--encoder", folder / "encoder.safetensors", "--locations", FIXTURES / "geoclip_gallery_2k.csv",
        "--values", FIXTURES / "geoclip_values_2k.npy", "--out", folder / "bank.safetensors", "--dtype", "f32")
    return folder / "encoder.safetensors", folder / "bank.safetensors"
