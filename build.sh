#!/usr/bin/env bash
# The main job on a fresh machine: build the CLI, convert the bundled SatCLIP-format fixture
# model (tests/fixtures, made by tools/make_fixtures.py) to int8, and embed examples/cities.csv
# with RANGE+ (β = 0.5); fetch GeoCLIP's real weights from PyPI, convert them (int8) and embed
# the same cities. Idempotent; results land in out/demo/ and www/models/.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo >/dev/null || { echo "build.sh: cargo not found; install Rust with rustup first" >&2; exit 1; }
cargo build --release --locked
bin=target/release/georange
out=out/demo
"$bin" convert satclip --ckpt tests/fixtures/satclip_l40.ckpt --db tests/fixtures/range_db_l40.npz --out "$out" --dtype int8
"$bin" embed --encoder "$out/encoder.safetensors" --bank "$out/bank.safetensors" \
  --model range+ --beta 0.5 --input examples/cities.csv --output "$out/cities.npy"
# GeoCLIP, the only real pretrained location encoder reachable here (weights inside the
# `geoclip` wheel on PyPI): the default model of the demo, in www/models/geoclip/.
tools/fetch_geoclip.sh target/geoclip
"$bin" convert geoclip --weights target/geoclip/location_encoder_weights.pth --out www/models/geoclip --dtype int8
"$bin" embed --encoder www/models/geoclip/encoder.safetensors --model encoder \
  --input examples/cities.csv --output "$out/cities_geoclip.npy"
python3 - "$out/cities.npy" <<'PY' 2>/dev/null || true
import sys, struct
with open(sys.argv[1], "rb") as f:
    f.read(8); n = struct.unpack("<H", f.read(2))[0]; print("header:", f.read(n).decode().strip())
PY
echo "done: $out/cities.npy (1280-d RANGE+ per row of examples/cities.csv), $out/cities_geoclip.npy (512-d GeoCLIP)"
