#!/usr/bin/env python3
"""Times the reference (PyPI `rangegeo` 0.1.0, PyTorch) on the same synthetic shapes as
`cargo bench --bench embed`: a SatCLIP L = 40 encoder (1600 → 512 → 512 → 256, float64) and a
bank of N rows (256-d keys, 1024-d values), RANGE and RANGE+ (β = 0.5) at the given batch
sizes, on the CPU with the given number of torch threads or on a CUDA GPU. Prints points/s and
peak memory (the process's on the CPU, torch's allocations on a GPU).

    /tmp/venv/bin/python tools/bench/bench_reference.py --rows 100000 --batches 1,10000 --threads 2
    python3 tools/bench/bench_reference.py --device cuda --rows 100000 --batches 1,1000,10000 --dense

`--dense` adds the ceiling the issue names: RANGE's arithmetic as one dense torch pass,
softmax(15·Q·Kᵀ)·V, at the largest batch, in float32 and bfloat16 (no encoder, no streaming).

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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from make_fixtures import make_checkpoint  # noqa: E402

import rangegeo  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--batches", default="1,10000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dense", action="store_true")
    args = ap.parse_args()
    cuda = args.device.startswith("cuda")
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
          f"{args.threads} threads, device {args.device}"
          + (f" ({torch.cuda.get_device_name()})" if cuda else ""))
    print("| variant | batch | points/s | s per batch | peak MB |")
    print("|---|---|---|---|---|")
    for name in ["RANGE", "RANGE+"]:
        model = rangegeo.RANGE(name, beta=0.5, device=args.device, pretrained_path=ck, db_path=db)
        for batch in [int(b) for b in args.batches.split(",")]:
            q = np.stack([rng.uniform(-180, 180, batch), rng.uniform(-80, 80, batch)], 1)
            model.encode(q[:1], batch_size=batch)  # warm-up
            reps = 5 if batch <= 10 else 1
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            try:
                t = time.perf_counter()
                for _ in range(reps):
                    model.encode(q, batch_size=batch)  # returns numpy: the GPU is done
                secs = (time.perf_counter() - t) / reps
            except torch.OutOfMemoryError as e:
                print(f"| {name} | {batch} | out of memory | – | {str(e).splitlines()[0][:80]} |", flush=True)
                torch.cuda.empty_cache()
                continue
            if cuda:
                peak = torch.cuda.max_memory_allocated() / 2**20
            else:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {name}{' β=0.5' if name == 'RANGE+' else ''} | {batch} | {batch / secs:.1f} | "
                  f"{secs:.3f} | {peak:.0f} |", flush=True)

        del model
    if args.dense:
        dense(args, n)


def dense(args, n):
    """softmax(15·Q·Kᵀ)·V in one pass per batch, f32 and bf16, at the largest batch."""
    batch = max(int(b) for b in args.batches.split(","))
    dev = torch.device(args.device)
    g = torch.Generator(device=dev).manual_seed(0)
    k = torch.nn.functional.normalize(torch.randn(n, 256, device=dev, generator=g), dim=1)
    v = torch.randn(n, 1024, device=dev, generator=g)
    qn = torch.nn.functional.normalize(torch.randn(batch, 256, device=dev, generator=g), dim=1)
    for dtype in [torch.float32, torch.bfloat16]:
        kk, vv, qq = k.to(dtype), v.to(dtype), qn.to(dtype)

        def run():
            return torch.softmax(15 * qq @ kk.T, dim=1) @ vv
        try:
            run()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(5):
                run()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            secs = (time.perf_counter() - t) / 5
            print(f"| dense torch pass {dtype} (no encoder) | {batch} | {batch / secs:.1f} | {secs:.4f} | – |",
                  flush=True)
        except torch.OutOfMemoryError:
            print(f"| dense torch pass {dtype} | {batch} | out of memory | – | – |", flush=True)
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
