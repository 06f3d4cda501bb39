#!/usr/bin/env python3
"""Writes fuzz/seeds/: one small, valid example of every format the fuzz targets parse, for
libFuzzer to mutate. Small on purpose (a few KB each): the fuzzer's speed falls with input size.

Run by hand, after `cargo build --release`, in the fixtures' virtual environment
(tools/requirements-fixtures.txt):

    /tmp/venv/bin/python tools/make_fuzz_seeds.py

Seeded; a re-run writes the same tensors (torch's zip container may differ in timestamps).
"""
import os
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import make_checkpoint, sphere_points  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
CLI = os.path.join(ROOT, "target", "release", "georange")


def cli(*args):
    subprocess.run([CLI, *args], check=True, stdout=subprocess.DEVNULL)


def seed_dir(target):
    d = os.path.join(SEEDS, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def tiny_geoclip(path, seed):
    """A GeoCLIP-shaped state dict (3 branches, 4 Fourier features, width 8, 4-d output)."""
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for i in range(3):
        sd[f"LocEnc{i}.capsule.0.b"] = torch.randn(4, 2, generator=g) * 2.0 ** (4 * i)
        sd[f"LocEnc{i}.capsule.1.weight"] = torch.randn(8, 8, generator=g)
        sd[f"LocEnc{i}.capsule.1.bias"] = torch.randn(8, generator=g)
        sd[f"LocEnc{i}.capsule.3.weight"] = torch.randn(8, 8, generator=g)
        sd[f"LocEnc{i}.capsule.3.bias"] = torch.randn(8, generator=g)
        sd[f"LocEnc{i}.capsule.5.weight"] = torch.randn(8, 8, generator=g)
        sd[f"LocEnc{i}.capsule.5.bias"] = torch.randn(8, generator=g)
        sd[f"LocEnc{i}.head.0.weight"] = torch.randn(4, 8, generator=g)
        sd[f"LocEnc{i}.head.0.bias"] = torch.randn(4, generator=g)
    torch.save(sd, path)


def tiny_database(path, encoder_dim, rows, value_dim, dtype, seed):
    rng = np.random.default_rng(seed)
    np.savez(path, locs=sphere_points(rng, rows).astype(dtype),
             satclip_embeddings=rng.standard_normal((rows, encoder_dim)).astype(dtype),
             image_embeddings=rng.standard_normal((rows, value_dim)).astype(dtype))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = seed_dir("checkpoint")
        make_checkpoint(os.path.join(ckpt, "satclip_l3.ckpt"), 3, 8, 1, 4, torch.float64, seed=11)
        make_checkpoint(os.path.join(tmp, "satclip_l2.ckpt"), 2, 4, 1, 4, torch.float32, seed=12)
        tiny_geoclip(os.path.join(ckpt, "geoclip_tiny.pth"), seed=13)

        numpy_dir = seed_dir("numpy")
        # The numpy target checks databases against a 4-d encoder (satclip_l2 below).
        tiny_database(os.path.join(numpy_dir, "db_f64.npz"), 4, 3, 5, np.float64, seed=14)
        tiny_database(os.path.join(numpy_dir, "db_f32.npz"), 4, 2, 3, np.float32, seed=15)
        np.save(os.path.join(numpy_dir, "values_f32.npy"), np.arange(6, dtype=np.float32).reshape(2, 3))
        np.save(os.path.join(numpy_dir, "values_fortran_f64.npy"),
                np.asfortranarray(np.arange(6, dtype=np.float64).reshape(3, 2)))

        enc_dir, bank_dir = seed_dir("encoder_file"), seed_dir("bank_file")
        conv = os.path.join(tmp, "conv")
        for dtype in ["f32", "f16", "int8"]:
            cli("convert", "satclip", "--ckpt", os.path.join(tmp, "satclip_l2.ckpt"),
                "--db", os.path.join(numpy_dir, "db_f64.npz"), "--out", conv, "--dtype", dtype)
            shutil.copy(os.path.join(conv, "encoder.safetensors"),
                        os.path.join(enc_dir, f"satclip_{dtype}.safetensors"))
            shutil.copy(os.path.join(conv, "bank.safetensors"),
                        os.path.join(bank_dir, f"bank_{dtype}.safetensors"))
        cli("convert", "geoclip", "--weights", os.path.join(ckpt, "geoclip_tiny.pth"),
            "--out", conv, "--dtype", "int8")
        shutil.copy(os.path.join(conv, "encoder.safetensors"),
                    os.path.join(enc_dir, "geoclip_int8.safetensors"))
        # The encoder the numpy target checks databases against.
        cli("convert", "satclip", "--ckpt", os.path.join(tmp, "satclip_l2.ckpt"), "--out", conv)
        shutil.copy(os.path.join(conv, "encoder.safetensors"),
                    os.path.join(ROOT, "fuzz", "fuzz_targets", "satclip_l2.safetensors"))
    for d in sorted(os.listdir(SEEDS)):
        for f in sorted(os.listdir(os.path.join(SEEDS, d))):
            print(f"{d}/{f}: {os.path.getsize(os.path.join(SEEDS, d, f))} bytes")


if __name__ == "__main__":
    main()
