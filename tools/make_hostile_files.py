#!/usr/bin/env python3
"""Writes tests/hostile/: malformed files of every kind georange reads, each derived from a
valid seed in fuzz/seeds/ by one deliberate defect, and manifest.json, which says how each is
used and a pattern its error message must match. tests/hostile.rs runs every one through the
CLI and tests/browser/run.mjs the encoder and bank files through GeoRange.load(): each must
give a clean one-line error, never a panic, a hang or an out-of-memory.

    python3 tools/make_hostile_files.py      (needs numpy, and blake3 from PyPI for seeds of
                                              format version 2; deterministic)

Defects that a content hash would catch anyway (a NaN weight, a latitude of 95°) are written
with a *valid* hash, so that the check behind the hash is what refuses them.
"""
import hashlib
import io
import json
import os
import shutil
import struct
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
OUT = os.path.join(ROOT, "tests", "hostile")

ENCODER = os.path.join(SEEDS, "encoder_file", "satclip_f32.safetensors")
ENCODER_INT8 = os.path.join(SEEDS, "encoder_file", "satclip_int8.safetensors")
GEOCLIP = os.path.join(SEEDS, "encoder_file", "geoclip_int8.safetensors")
BANK = os.path.join(SEEDS, "bank_file", "bank_f32.safetensors")
BANK_INT8 = os.path.join(SEEDS, "bank_file", "bank_int8.safetensors")
CKPT = os.path.join(SEEDS, "checkpoint", "satclip_l3.ckpt")
PTH = os.path.join(SEEDS, "checkpoint", "geoclip_tiny.pth")
NPZ = os.path.join(SEEDS, "numpy", "db_f64.npz")
NPY = os.path.join(SEEDS, "numpy", "values_f32.npy")


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- safetensors with georange metadata ----

def split(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), bytearray(blob[8 + n:])


def join(header, data, rehash=True):
    if rehash:
        header["__metadata__"]["content_hash"] = content_hash(header, data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data)


def content_hash(header, data):
    """As src/format/hash.rs: the hash of the file's format version (1: SHA-256, 2: BLAKE3)
    over the tensors in name order of name \\0 dtype \\0 shape (u64 LE each) data."""
    version = header["__metadata__"].get("version")
    if version == "1":
        h = hashlib.sha256()
    else:
        import blake3  # pip install blake3; only files of version 2 need it
        h = blake3.blake3()
    for name in sorted(k for k in header if k != "__metadata__"):
        t = header[name]
        h.update(name.encode() + b"\0" + t["dtype"].encode() + b"\0")
        for d in t["shape"]:
            h.update(struct.pack("<Q", d))
        a, b = t["data_offsets"]
        h.update(bytes(data[a:b]))
    return h.hexdigest()


def poke_f32(blob, tensor, index, value):
    """The file with element `index` of f32 tensor `tensor` set to `value`, rehashed."""
    header, data = split(blob)
    at = header[tensor]["data_offsets"][0] + 4 * index
    data[at:at + 4] = struct.pack("<f", value)
    return join(header, data)


def edit(blob, change, rehash=True):
    header, data = split(blob)
    change(header, data)
    return join(header, data, rehash)


def without(blob, tensor):
    """The file without `tensor`: its bytes removed, later offsets shifted, rehashed."""
    header, data = split(blob)
    a, b = header.pop(tensor)["data_offsets"]
    del data[a:b]
    for name, t in header.items():
        if name != "__metadata__" and t["data_offsets"][0] >= b:
            t["data_offsets"] = [t["data_offsets"][0] - (b - a), t["data_offsets"][1] - (b - a)]
    return join(header, data)


def meta(key, value):
    def change(h, _):
        h["__metadata__"][key] = value
    return change


def drop_meta(key):
    return lambda h, _: h["__metadata__"].pop(key)


# ---- numpy ----

def npy_bytes(array):
    f = io.BytesIO()
    np.save(f, array)
    return f.getvalue()


def npz_with(members):
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name, blob in members.items():
            # A fixed timestamp: the same bytes on every run.
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), blob)
    return f.getvalue()


def db_members():
    with np.load(NPZ) as z:
        return {k: z[k] for k in z.files}


def db_with(**arrays):
    members = {k: npy_bytes(v) for k, v in db_members().items()}
    for k, v in arrays.items():
        if v is None:
            members.pop(k)
        else:
            members[k] = v if isinstance(v, bytes) else npy_bytes(v)
    return npz_with(members)


def npy_v2_huge_header():
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF) + b"{'descr': '<f4'"


def tensor_byte(ckpt):
    """Offset of a byte inside the first tensor storage of a torch zip (its `data/0` entry)."""
    with zipfile.ZipFile(io.BytesIO(ckpt)) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
    name_len, extra_len = struct.unpack("<HH", ckpt[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len + 5


def flip(blob, at, mask=0x5A):
    b = bytearray(blob)
    b[at] ^= mask
    return bytes(b)


def cases():
    enc, enc8, geo, bank = read(ENCODER), read(ENCODER_INT8), read(GEOCLIP), read(BANK)
    ckpt, pth, npy = read(CKPT), read(PTH), read(NPY)
    h_enc, _ = split(enc)
    first_weight = "layers.0.weight"
    db = db_members()
    # (file name, kind, bytes, pattern the message must match)
    yield "empty.safetensors", "encoder", b"", "not a georange"
    yield "seven_bytes.safetensors", "encoder", enc[:7], "not a georange"
    yield "cut_in_header.safetensors", "encoder", enc[:40], "not a georange"
    yield "cut_in_half.safetensors", "encoder", enc[: len(enc) // 2], "not a georange"
    yield "cut_last_byte.safetensors", "encoder", enc[:-1], "not a georange"
    yield "header_len_max.safetensors", "encoder", b"\xff" * 8 + enc[8:], "not a georange"
    yield "header_len_1tb.safetensors", "encoder", struct.pack("<Q", 1 << 40) + enc[8:], "not a georange"
    yield "header_not_json.safetensors", "encoder", enc[:8] + b"[" + enc[9:], "not a georange"
    yield "zip_not_safetensors.safetensors", "encoder", ckpt, "not a georange"
    yield "bank_as_encoder.safetensors", "encoder", bank, "expected \"georange-encoder\""
    yield "flipped_data_byte.safetensors", "encoder", flip(enc, len(enc) - 3), "content hash"
    yield "version_99.safetensors", "encoder", edit(enc, meta("version", "99")), "version 99"
    yield "nan_weight.safetensors", "encoder", poke_f32(enc, first_weight, 1, float("nan")), "not finite"
    yield "inf_weight.safetensors", "encoder", poke_f32(enc, "last_layer.weight", 0, float("inf")), "not finite"
    yield "inf_int8_scale.safetensors", "encoder", poke_f32(enc8, "last_layer.weight.scale", 0, float("inf")), "not finite"
    def past_end(h, _):
        a, b = h[first_weight]["data_offsets"]
        h[first_weight]["data_offsets"] = [a, b + (1 << 30)]
    yield "offsets_past_end.safetensors", "encoder", edit(enc, past_end), "not a georange"
    def as_i32(h, _):
        h[first_weight]["dtype"] = "I32"
    yield "dtype_i32.safetensors", "encoder", edit(enc, as_i32), "unsupported dtype"
    def flatten(h, _):
        h[first_weight]["shape"] = [int(np.prod(h[first_weight]["shape"]))]
    yield "weight_rank_1.safetensors", "encoder", edit(enc, flatten), "rank"
    yield "missing_tensor.safetensors", "encoder", without(enc, "last_layer.bias"), "missing tensor"
    hp = json.loads(h_enc["__metadata__"]["hparams"])
    yield "hparams_disagree.safetensors", "encoder", edit(enc, meta("hparams", json.dumps({**hp, "capacity": hp["capacity"] + 1}))), "shape"
    yield "hparams_huge.safetensors", "encoder", edit(enc, meta("hparams", json.dumps({**hp, "legendre_polys": 10 ** 9}))), "implausible"
    yield "hparams_not_json.safetensors", "encoder", edit(enc, meta("hparams", "{capacity: 4")), "hparams"
    yield "unknown_architecture.safetensors", "encoder", edit(enc, meta("architecture", "transformer")), "unknown architecture"
    yield "no_content_hash.safetensors", "encoder", edit(enc, drop_meta("content_hash"), rehash=False), "content_hash"
    yield "no_metadata.safetensors", "encoder", edit(enc, lambda h, _: h.pop("__metadata__"), rehash=False), "expected \"georange-encoder\""

    yield "bank_cut.safetensors", "bank", bank[: len(bank) - 17], "not a georange"
    yield "bank_nan_value.safetensors", "bank", poke_f32(bank, "values", 4, float("nan")), "not finite"
    yield "bank_latitude_95.safetensors", "bank", poke_f32(bank, "locs", 1, 95.0), "latitude 95"
    # int8 rows are kept as codes and scales: a finite scale whose codes overflow f32 is refused.
    bank8 = read(BANK_INT8)
    yield "bank_int8_inf_scale.safetensors", "bank", poke_f32(bank8, "values.scale", 1, float("inf")), "not finite"
    yield "bank_int8_value_overflow.safetensors", "bank", poke_f32(bank8, "values.scale", 1, 3e38), "not finite"
    yield "bank_int8_key_overflow.safetensors", "bank", poke_f32(bank8, "keys.scale", 2, 3e38), "not finite"
    header, data = split(bank)
    kd = int(header["__metadata__"]["key_dim"])
    zero_key = bank
    for i in range(kd):
        zero_key = poke_f32(zero_key, "keys", i, 0.0)
    yield "bank_zero_key.safetensors", "bank", zero_key, "all zeros"
    yield "bank_rows_disagree.safetensors", "bank", edit(bank, meta("rows", "4")), "metadata says"
    yield "bank_rows_not_a_number.safetensors", "bank", edit(bank, meta("rows", "-1")), "\"rows\""
    yield "bank_other_encoder.safetensors", "bank", edit(bank, meta("encoder_id", "0" * 32)), "built for encoder"
    yield "encoder_as_bank.safetensors", "bank", enc, "expected \"georange-bank\""
    yield "bank_for_geoclip_encoder.safetensors", "pair-geoclip", bank, "built for encoder"

    yield "ckpt_empty.ckpt", "checkpoint", b"", "not a SatCLIP checkpoint"
    yield "ckpt_text.ckpt", "checkpoint", b"epoch,loss\n1,0.5\n", "not a SatCLIP checkpoint"
    yield "ckpt_half.ckpt", "checkpoint", ckpt[: len(ckpt) // 2], "damaged zip"
    yield "ckpt_no_central_directory.ckpt", "checkpoint", ckpt[:-22], "damaged zip"
    yield "ckpt_flipped_tensor_byte.ckpt", "checkpoint", flip(ckpt, tensor_byte(ckpt), 0x01), "damaged"
    yield "geoclip_as_satclip.ckpt", "checkpoint", pth, "not a SatCLIP checkpoint"
    yield "satclip_as_geoclip.pth", "geoclip", ckpt, "not GeoCLIP"
    yield "geoclip_half.pth", "geoclip", pth[: len(pth) // 2], "not a readable PyTorch file"

    yield "db_half.npz", "database", read(NPZ)[: len(read(NPZ)) // 2], "npz"
    yield "db_huge_npy_header.npz", "database", db_with(locs=npy_v2_huge_header()), "header claims"
    yield "db_no_values.npz", "database", db_with(image_embeddings=None), "no array \"image_embeddings\""
    yield "db_int_locs.npz", "database", db_with(locs=db["locs"].astype(np.int32)), "dtype"
    yield "db_3d_values.npz", "database", db_with(image_embeddings=db["image_embeddings"][:, :, None]), "expected 2-D"
    yield "db_rows_disagree.npz", "database", db_with(image_embeddings=db["image_embeddings"][:2]), "row counts disagree"
    yield "db_wrong_key_width.npz", "database", db_with(satclip_embeddings=np.ones((3, 5))), "5-d"
    bad_locs = db["locs"].copy()
    bad_locs[1, 1] = np.nan
    yield "db_nan_location.npz", "database", db_with(locs=bad_locs), "non-finite"
    yield "values_huge_header.npy", "values", npy_v2_huge_header(), "header claims"
    yield "values_cut.npy", "values", npy[:-5], "truncated"
    # Found by the numpy fuzz target: deep nesting made the header parser backtrack for minutes.
    nested = b"{'descr': '<f4', 'shape': " + b"[" * 200 + b"}"
    yield "values_nested_header.npy", "values", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(nested)) + nested, "nests brackets"
    yield "values_1d.npy", "values", npy_bytes(np.arange(3, dtype=np.float32)), "expected 2-D"
    yield "values_no_magic.npy", "values", b"NUMPY!" + npy[6:], "magic"


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    manifest = []
    for name, kind, blob, pattern in cases():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)
        manifest.append({"file": name, "kind": kind, "message": pattern})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(manifest)} files in {OUT}")


if __name__ == "__main__":
    main()
