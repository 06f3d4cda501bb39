#!/usr/bin/env bash
# Every test:
#  - cargo test: unit tests, parity with the reference's golden outputs (CPU), the CLI and
#    corrupt-file tests, GeoCLIP with its real weights, and the same parity on burn-wgpu
#    (tests/gpu.rs: Vulkan; Mesa's lavapipe on a machine without a GPU);
#  - a short run of every fuzz target (tools/dev/fuzz.sh smoke; RELIABILITY.md);
#  - the browser tests: build.sh's npm package in headless Chromium on WebGPU and on the CPU
#    fallback (tests/browser/run.mjs), and the demo page as a visitor uses it
#    (tests/browser/demo.mjs; screenshots in out/screenshots/), the map-layer adapters'
#    example pages (tests/browser/layers.mjs), and in long use: the Cache API
#    policy (tests/browser/long_use.mjs) and memory over many cycles (tests/browser/soak.mjs);
#  - the npm package in Node.js (tests/node/), as a build-time script uses it, and in apps
#    built with Vite, webpack and esbuild, and from another origin (tests/apps/run.mjs);
#  - the Python package (build.sh's wheel, in target/venv): parity, errors, processes, Dask
#    (python/tests/).
# Needs Rust, python3 + pip (GeoCLIP's wheel), node + npm; installs chromium and
# mesa-vulkan-drivers with apt when missing.
set -euo pipefail
cd "$(dirname "$0")"
tools/dev/install_system_deps.sh
tools/fetch/fetch_geoclip.sh target/geoclip   # GeoCLIP's real weights, from the geoclip wheel on PyPI
cargo build --release --locked --all-targets
# The two slowest GPU tests on lavapipe (4 minutes of the ~10 its GPU tests take here) wait for the
# long form, `cargo test --release --locked --test gpu` (or tools/dev/gpu_tests_on_device.sh on
# a real GPU): burn's flash-attention route (not a default) and a bank past the GPU's largest
# buffer (a 130 MB bank); the default routes, int8, f16 and places like this run here.
cargo test --release --locked -- --skip flash_attention_matches_the_stream \
  --skip a_bank_past_the_gpus_largest_buffer_is_held_in_tiles_never_misread
tools/dev/fuzz.sh smoke                     # every parser's fuzz target, 12 s each
./build.sh
node tests/browser/run.mjs
node tests/browser/demo.mjs
node tests/browser/layers.mjs           # each map adapter's example page: the layer where it should be, cancellation
node tests/browser/long_use.mjs         # caches that heal, republished files, offline, two models at once
node tests/browser/soak.mjs             # short soak: 30 load/dispose cycles, 600 calls (SOAK=long: 200, 10,000)
node --test tests/node/                 # the npm package in Node.js, against the native CLI
node tests/apps/run.mjs                 # the package in bundled apps and from another origin
target/venv/bin/pip install -q --disable-pip-version-check -r python/requirements-test.txt
target/venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps dist/georange-*.whl
target/venv/bin/python -m pytest -q python/tests
