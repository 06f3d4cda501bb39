#!/usr/bin/env python3
"""Times the reference (PyPI `rangegeo` 0.1.0, PyTorch) on the same synthetic shapes as
`cargo bench --bench embed`: a SatCLIP L = 40 encoder (1600 → 512 → 512 → 256, float64) and a
bank of N rows (256-d keys, 1024-d values), RANGE and RANGE+ (β = 0.5) at the given batch
sizes, on the CPU with the given number of torch threads. Prints points/s and peak memory.

    /tmp/venv/bin/python tools/bench_reference.py --rows 100000 --batches 1,10000 --threads 2

Run by hand (needs torch); see BENCHMARKS.md for recorded figures.
"""
import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import make_checkpoint  # noqa: E402

import rangegeo  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--batches", default="1,10000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--encoder-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tmp = tempfile.mkdtemp(prefix="georange-ref-")
    ck = os.path.join(tmp, "satclip.ckpt")
    make_checkpoint(ck, 40, 512, 2, 256, torch.float64, seed=11)
    rng = np.random.default_rng(12)
    n = args.rows
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    db = os.path.join(tmp, "db.npz")
    np.savez(db, locs=np.stack([lon, lat], 1).astype(np.float32),
             satclip_embeddings=rng.standard_normal((n, 256), dtype=np.float32),
             image_embeddings=rng.standard_normal((n, 1024), dtype=np.float32))
    print(f"reference rangegeo {rangegeo.__version__}, torch {torch.__version__}, bank {n} rows, "
          f"{args.threads} threads")
    print("| variant | batch | points/s | s per batch | peak MB |")
    print("|---|---|---|---|---|")
    for name in ["RANGE", "RANGE+"]:
        model = rangegeo.RANGE(name, beta=0.5, device="cpu", pretrained_path=ck, db_path=db)
        for batch in [int(b) for b in args.batches.split(",")]:
            q = np.stack([rng.uniform(-180, 180, batch), rng.uniform(-80, 80, batch)], 1)
            model.encode(q[:1], batch_size=batch)  # warm-up
            reps = 5 if batch <= 10 else 1
            t = time.perf_counter()
            for _ in range(reps):
                model.encode(q, batch_size=batch)
            secs = (time.perf_counter() - t) / reps
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {name}{' β=0.5' if name == 'RANGE+' else ''} | {batch} | {batch / secs:.1f} | "
                  f"{secs:.3f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
