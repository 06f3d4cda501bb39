#!/usr/bin/env python3
"""Writes tests/fixtures/: small SatCLIP checkpoints and RANGE databases in the *official*
formats, a query set with edge cases, and golden outputs of the reference implementation
(PyPI `rangegeo` 0.1.0, the inference port of github mvrl/RANGE).

Run by hand (not in CI), in a virtual environment made from tools/requirements-fixtures.txt:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r tools/requirements-fixtures.txt
    /tmp/venv/bin/python tools/make_fixtures.py

Everything is seeded, so a re-run writes the same numbers. The reference is used as an
oracle only; nothing here is shipped.
"""
import math
import os
from collections import OrderedDict

import numpy as np
import torch

import rangegeo
from rangegeo.satclip.location_encoder import get_neural_network, get_positional_encoding

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def sphere_points(rng, n):
    """n points uniform on the sphere as (lon, lat) degrees."""
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    return np.stack([lon, lat], axis=1)


def make_checkpoint(path, legendre_polys, capacity, hidden, embed_dim, dtype, seed):
    """A Lightning-style SatCLIP checkpoint: hyper_parameters + state_dict, location encoder
    under model.location.*, the same tensors again under model.nnet.* and some vision-tower
    keys that a converter must ignore. Returns the encoder (float64, eval mode)."""
    torch.manual_seed(seed)
    hp = {
        "embed_dim": embed_dim, "image_resolution": 256, "vision_layers": "moco_resnet50",
        "vision_width": 768, "vision_patch_size": 32, "in_channels": 13,
        "le_type": "sphericalharmonics", "pe_type": "siren", "frequency_num": 16,
        "max_radius": 260, "min_radius": 1, "legendre_polys": legendre_polys,
        "harmonics_calculation": "analytic", "sh_embedding_dims": 32,
        "learning_rate": 1e-4, "weight_decay": 0.01, "num_hidden_layers": hidden,
        "capacity": capacity,
    }
    posenc = get_positional_encoding("sphericalharmonics", legendre_polys=legendre_polys,
                                     harmonics_calculation="analytic").double()
    nnet = get_neural_network("siren", input_dim=posenc.embedding_dim, num_classes=embed_dim,
                              dim_hidden=capacity, num_layers=hidden).double()
    # SIREN's initialisation keeps the first layer nearly linear; trained SatCLIP weights are
    # larger. Scale it up so that the sine non-linearity (w0 = 30) is really exercised.
    with torch.no_grad():
        nnet.layers[0].weight.mul_(4.0)
    nnet.eval()
    sd = OrderedDict()
    for k, v in nnet.state_dict().items():
        t = v.to(dtype).clone()
        sd["model.location.nnet." + k] = t
        sd["model.nnet." + k] = t  # same storage, as in the released files
    sd["model.visual.conv1.weight"] = torch.randn(8, 13, 3, 3, dtype=dtype)
    sd["model.visual.bn1.running_mean"] = torch.zeros(8, dtype=dtype)
    sd["model.logit_scale"] = torch.tensor(2.659, dtype=dtype)
    ckpt = {"epoch": 3, "global_step": 1234, "pytorch-lightning_version": "2.0.1",
            "state_dict": sd, "hyper_parameters": hp, "loops": {}, "optimizer_states": [],
            "lr_schedulers": []}
    torch.save(ckpt, path)
    return rangegeo.load_satclip_location_encoder(path)


def make_database(path, encoder, n, value_dim, dtype, seed):
    """A RANGE database .npz: locs (lon, lat), satclip_embeddings (keys: the encoder's output
    plus noise, standing in for image-tower embeddings) and image_embeddings (values with a
    smooth spatial part, a per-row part and a common offset, like real visual features)."""
    rng = np.random.default_rng(seed)
    locs = sphere_points(rng, n)
    with torch.no_grad():
        keys = encoder(torch.tensor(locs)).numpy()
    keys = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    keys = keys + 0.05 * rng.standard_normal(keys.shape)
    lonr, latr = np.radians(locs[:, 0]), np.radians(locs[:, 1])
    xyz = np.stack([np.cos(latr) * np.cos(lonr), np.cos(latr) * np.sin(lonr), np.sin(latr)], 1)
    mix = rng.standard_normal((3, value_dim))
    values = 1.0 + np.sin(2.0 * xyz @ mix) + 0.3 * rng.standard_normal((n, value_dim))
    np.savez(path, locs=locs.astype(dtype), satclip_embeddings=keys.astype(dtype),
             image_embeddings=values.astype(dtype))


def query_points(seed):
    """Edge cases (poles, the antimeridian, 0/0, longitudes needing a wrap) and random points
    in three latitude bands, the bands the parity tolerances are stated for."""
    edges = [(0.0, 0.0), (-180.0, 0.0), (180.0, 0.0), (179.999, 12.5), (-179.999, -12.5),
             (0.0, 90.0), (0.0, -90.0), (123.4, 90.0), (-45.0, -90.0), (200.0, 10.0),
             (-190.0, -20.0), (540.0, 5.0), (-90.19, 38.63), (85.32, 27.72), (2.35, 48.86),
             (-70.67, -33.45), (139.69, 35.69), (0.0, 59.99), (0.0, -30.0), (-0.001, 0.001)]
    rng = np.random.default_rng(seed)
    rows = list(edges)
    for lo, hi, count in [(0, 30, 30), (30, 60, 24), (60, 89.9, 16)]:
        lat = rng.uniform(lo, hi, count) * rng.choice([-1, 1], count)
        lon = rng.uniform(-180, 180, count)
        rows += list(zip(lon, lat))
    return np.array(rows, dtype=np.float64)


def write_queries(path, q):
    # Columns deliberately not in (lon, lat) order, with an extra column: the CLI must find
    # them by name.
    with open(path, "w") as f:
        f.write("name,lat,lon\n")
        for i, (lon, lat) in enumerate(q):
            f.write(f"p{i},{float(lat)!r},{float(lon)!r}\n")


def goldens(prefix, ckpt, db, q):
    enc = rangegeo.load_satclip_location_encoder(ckpt)
    with torch.no_grad():
        raw = enc(torch.tensor(q)).numpy()
    np.save(f"{prefix}_encoder.npy", raw)  # float64, un-normalised
    for name, beta, tag in [("RANGE", 0.5, "range"), ("RANGE+", 0.0, "rangeplus_b0"),
                            ("RANGE+", 0.5, "rangeplus_b05"), ("RANGE+", 1.0, "rangeplus_b1")]:
        model = rangegeo.RANGE(name, beta=beta, device="cpu", pretrained_path=ckpt, db_path=db)
        out = model.encode(q)
        np.save(f"{prefix}_{tag}.npy", out.astype(np.float32))


def geoclip_fixtures(q):
    """Goldens of GeoCLIP's real pretrained location encoder (PyPI `geoclip` 1.3.0) at the
    query set, in float32 (as GeoCLIP runs) and float64 (the same code with the model and the
    input in double; GeoCLIP's output buffer stays float32). Plus a RANGE bank over GeoCLIP
    at 2,000 points of its GPS gallery with random values, and RANGE / RANGE+ outputs for it
    computed straightforwardly in float64."""
    from geoclip import LocationEncoder
    import geoclip

    enc = LocationEncoder().eval()
    # georange wraps longitudes outside [-180, 180] first; GeoCLIP is not periodic, so feed
    # it the wrapped values.
    lon = q[:, 0].copy()
    out = (lon < -180) | (lon > 180)
    lon[out] = np.mod(lon[out] + 180, 360) - 180
    q = np.stack([lon, q[:, 1]], 1)
    latlon = torch.tensor(q[:, ::-1].copy())  # GeoCLIP takes (lat, lon)
    with torch.no_grad():
        np.save(os.path.join(OUT, "golden_geoclip_f32.npy"), enc(latlon.float()).numpy())
        enc64 = LocationEncoder().double().eval()
        out64 = enc64(latlon).double().numpy()
    np.save(os.path.join(OUT, "golden_geoclip_f64.npy"), out64)

    gallery = os.path.join(os.path.dirname(geoclip.__file__), "model", "gps_gallery", "coordinates_100K.csv")
    g = np.loadtxt(gallery, delimiter=",", skiprows=1)[:2000]  # LAT, LON
    with open(os.path.join(OUT, "geoclip_gallery_2k.csv"), "w") as f:
        f.write("lat,lon\n")
        for lat, lon in g:
            f.write(f"{float(lat)!r},{float(lon)!r}\n")
    rng = np.random.default_rng(21)
    values = (0.5 + rng.standard_normal((len(g), 48))).astype(np.float32)
    np.save(os.path.join(OUT, "geoclip_values_2k.npy"), values)
    with torch.no_grad():
        keys = enc64(torch.tensor(g)).double().numpy()
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    qn = out64 / np.linalg.norm(out64, axis=1, keepdims=True)
    v = values.astype(np.float64)

    def softmax_v(scores):
        w = np.exp(scores - scores.max(axis=1, keepdims=True))
        return (w / w.sum(axis=1, keepdims=True)) @ v

    def xyz(lon, lat):
        lon, lat = np.radians(lon), np.radians(lat)
        return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)

    rng_range = np.concatenate([softmax_v(15 * qn @ keys.T), qn], 1)
    geo = softmax_v(40 * xyz(q[:, 0], q[:, 1]) @ xyz(g[:, 1], g[:, 0]).T)
    rng_plus = np.concatenate([0.5 * softmax_v(12 * qn @ keys.T) + 0.5 * geo, qn], 1)
    np.save(os.path.join(OUT, "golden_geoclip_range_f64.npy"), rng_range)
    np.save(os.path.join(OUT, "golden_geoclip_rangeplus_b05_f64.npy"), rng_plus)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    q = query_points(7)
    write_queries(os.path.join(OUT, "queries.csv"), q)

    # 1) The released architecture at L = 40 (smaller capacity), float64 like the real file.
    ck = os.path.join(OUT, "satclip_l40.ckpt")
    enc = make_checkpoint(ck, 40, 128, 2, 256, torch.float64, seed=1)
    db = os.path.join(OUT, "range_db_l40.npz")
    make_database(db, enc, 512, 1024, np.float32, seed=2)
    goldens(os.path.join(OUT, "golden_l40"), ck, db, q)

    # 2) Another shape: L = 10, three hidden layers, float32 tensors, a float64 database with
    #    value width 40 (any width must work).
    ck2 = os.path.join(OUT, "satclip_l10_f32.ckpt")
    enc2 = make_checkpoint(ck2, 10, 64, 3, 32, torch.float32, seed=3)
    db2 = os.path.join(OUT, "range_db_l10_f64.npz")
    make_database(db2, enc2, 200, 40, np.float64, seed=4)
    goldens(os.path.join(OUT, "golden_l10"), ck2, db2, q)
    geoclip_fixtures(q)

    # 3) A checkpoint with a NaN weight, which a converter must refuse.
    torch.manual_seed(5)
    nan_ck = os.path.join(OUT, "satclip_nan.ckpt")
    make_checkpoint(nan_ck, 3, 8, 1, 4, torch.float64, seed=5)
    ck = torch.load(nan_ck, weights_only=False)
    ck["state_dict"]["model.location.nnet.layers.0.weight"][0, 0] = float("nan")
    torch.save(ck, nan_ck)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
