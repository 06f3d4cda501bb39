#!/usr/bin/env bash
# Every test: the library's unit tests, parity with the reference's golden outputs, the CLI
# and corrupt-file tests, GeoCLIP with its real weights (cargo test), and a build of the benchmarks so they cannot rot.
set -euo pipefail
cd "$(dirname "$0")"
tools/fetch_geoclip.sh target/geoclip   # GeoCLIP's real weights, from the geoclip wheel on PyPI
cargo build --release --locked --all-targets
cargo test --release --locked
