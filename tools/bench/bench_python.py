#!/usr/bin/env python3
"""georange's Python API against the reference (PyPI `rangegeo` 0.1.0, PyTorch) on this CPU,
in one run, and Dask against one process. The shapes of `tools/bench/bench_reference.py`: a
SatCLIP L = 40 encoder (1600 → 512 → 512 → 256, float64 checkpoint) and a bank of N rows
(256-d keys, 1024-d values); georange reads it converted to int8 (`georange convert … --dtype
int8`, as the CLI benchmarks do), the reference its float32 database.

    target/venv-bench/bin/python tools/bench/bench_python.py --rows 100000 --threads 2
    target/venv-bench/bin/python tools/bench/bench_python.py --dask-only --dask-rows 10000 --points 200000

Needs torch, rangegeo, einops and the georange wheel (`dist/`) in one venv, and
`target/release/georange`; `--dask` needs dask[dataframe], distributed, pyarrow. Each side runs
in a process of its own, so that its peak memory (ru_maxrss) is its own. Prints Markdown rows
for BENCHMARKS.md.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLI = os.path.join(ROOT, "target", "release", "georange")


def make_files(rows, folder):
    """The checkpoint and database of bench_reference.py, and georange's int8 files of them."""
    import torch

    sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
    from make_fixtures import make_checkpoint

    os.makedirs(folder, exist_ok=True)
    ck, db = os.path.join(folder, "satclip.ckpt"), os.path.join(folder, "db.npz")
    make_checkpoint(ck, 40, 512, 2, 256, torch.float64, seed=11)
    rng = np.random.default_rng(12)
    lon = rng.uniform(-180, 180, rows)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    np.savez(db, locs=np.stack([lon, lat], 1).astype(np.float32),
             satclip_embeddings=rng.standard_normal((rows, 256), dtype=np.float32),
             image_embeddings=rng.standard_normal((rows, 1024), dtype=np.float32))
    out = os.path.join(folder, "georange")
    subprocess.run([CLI, "convert", "satclip", "--ckpt", ck, "--db", db, "--out", out, "--dtype", "int8"], check=True,
                   capture_output=True)
    return {"ckpt": ck, "db": db, "encoder": os.path.join(out, "encoder.safetensors"),
            "bank": os.path.join(out, "bank.safetensors")}


def points(n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(-180, 180, n), rng.uniform(-80, 80, n)], 1)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_side(side, files, variant, batch, threads):
    """One side's figures, in this process: warm single-point latency (median of 30 calls,
    ms) and points/s at `batch`."""
    if side == "reference":
        import rangegeo
        import torch

        torch.set_num_threads(threads)
        model = rangegeo.RANGE(variant, beta=0.5, device="cpu", pretrained_path=files["ckpt"], db_path=files["db"])
        call = lambda q: model.encode(q, batch_size=len(q))
    else:
        import georange

        model = georange.Model(files["encoder"], bank=files["bank"], threads=threads)
        name = {"RANGE": "range", "RANGE+": "range+"}[variant]
        call = lambda q: model.embed(q, model=name, beta=0.5, batch_size=len(q))
    one = points(31, 1)
    call(one[:1])  # warm-up
    lat = []
    for p in one[1:]:
        t = time.perf_counter()
        call(p[None, :])
        lat.append(time.perf_counter() - t)
    big = points(batch, 2)
    call(big[:16])
    t = time.perf_counter()
    call(big)
    secs = time.perf_counter() - t
    return {"single_ms": float(np.median(lat)) * 1e3, "batch_pps": batch / secs, "peak_mb": peak_mb()}


def dask_side(mode, files, n, workers):
    """Embeds n points with RANGE+ (β = 0.5): in this process on `workers` threads, or on a
    Dask LocalCluster of `workers` processes × 1 thread (engine threads 1 each), from Parquet
    to Parquet. Returns seconds and the peak memory of each process."""
    import dask.dataframe as dd
    import georange
    import georange.dask
    import pandas as pd

    folder = tempfile.mkdtemp(prefix="georange-dask-")
    pts = points(n, 3)
    pd.DataFrame({"id": np.arange(n), "lon": pts[:, 0], "lat": pts[:, 1]}).to_parquet(
        os.path.join(folder, "in.parquet"), row_group_size=n // 20)
    if mode == "one":
        t = time.perf_counter()
        m = georange.Model(files["encoder"], bank=files["bank"], threads=workers)
        frame = pd.read_parquet(os.path.join(folder, "in.parquet"))
        georange.dask.embed_frame(frame, m).to_parquet(os.path.join(folder, "out.parquet"))
        return {"secs": time.perf_counter() - t, "peaks_mb": [peak_mb()]}
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as c, Client(c) as client:
        client.run(lambda: None)  # workers up
        t = time.perf_counter()
        df = dd.read_parquet(os.path.join(folder, "in.parquet"), split_row_groups=True)
        georange.dask.embed(df, encoder=files["encoder"], bank=files["bank"], threads=1).to_parquet(os.path.join(folder, "out"))
        secs = time.perf_counter() - t
        peaks = list(client.run(peak_mb).values())
    return {"secs": secs, "peaks_mb": peaks}


def child(args):
    """Runs one side in a fresh process and returns its JSON."""
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dask", action="store_true", help="also Dask (2 workers) against one process")
    ap.add_argument("--dask-rows", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--dask-only", action="store_true", help="only the Dask comparison")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        a = json.loads(args.child)
        result = time_side(**a["time"]) if "time" in a else dask_side(**a["dask"])
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="georange-bench-") as tmp:
        files = None if args.dask_only else make_files(args.rows, tmp)
        if files:
            print(f"bank {args.rows} rows, batch {args.batch}, {args.threads} threads")
            print("| variant | side | single point, warm (ms) | batch points/s | peak MB |")
            print("|---|---|---|---|---|")
        for variant in ["RANGE", "RANGE+"] if files else []:
            for side in ["reference", "georange"]:
                r = child({"time": {"side": side, "files": files, "variant": variant, "batch": args.batch,
                                    "threads": args.threads}})
                print(f"| {variant} | {side} | {r['single_ms']:.2f} | {r['batch_pps']:.0f} | {r['peak_mb']:.0f} |", flush=True)
        if args.dask or args.dask_only:
            if not files or args.dask_rows != args.rows:
                files = make_files(args.dask_rows, os.path.join(tmp, "dask"))
            print(f"\nDask: {args.points} points, RANGE+ β=0.5, bank {args.dask_rows} rows, Parquet in and out")
            print("| run | seconds | points/s | peak MB per process |")
            print("|---|---|---|---|")
            for mode, label in [("one", f"one process, {args.threads} engine threads"),
                                ("dask", f"Dask LocalCluster, {args.threads} workers × 1 thread")]:
                r = child({"dask": {"mode": mode, "files": files, "n": args.points, "workers": args.threads}})
                print(f"| {label} | {r['secs']:.1f} | {args.points / r['secs']:.0f} | "
                      f"{', '.join(f'{p:.0f}' for p in r['peaks_mb'])} |", flush=True)


if __name__ == "__main__":
    main()
