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
#  - and first the code's form: `cargo fmt --check`, clippy with `-D warnings` on the native
#    build (every target) and on the browser build (wasm32).
# Needs Rust, python3 + pip (GeoCLIP's wheel), node + npm; installs chromium and
# mesa-vulkan-drivers with apt when missing. Each step prints its time (CI's budget for the
# whole is 40 minutes on 2 cores); what waits on the network runs while Rust compiles.
set -euo pipefail
cd "$(dirname "$0")"
step() { local t=$SECONDS; "$@"; echo "test.sh: [$((SECONDS - t)) s] $*" >&2; }

# Downloads and installs that wait on the network, in the background while Rust compiles:
# Debian's packages, the model files from PyPI wheels, the npm dev tools, the Python venv.
prefetch() {
  tools/dev/install_system_deps.sh
  tools/fetch/fetch_geoclip.sh target/geoclip   # GeoCLIP's real weights, from the geoclip wheel on PyPI
  tools/fetch/fetch_blue_marble.sh target/bluemarble
  [ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund
  [ -x target/venv/bin/python ] || python3 -m venv target/venv
  target/venv/bin/pip install -q --disable-pip-version-check -r python/requirements-build.txt -r python/requirements-test.txt
}
mkdir -p out target
step_start=$SECONDS
prefetch > out/prefetch.log 2>&1 &
prefetching=$!

step cargo fmt --all --check
step cargo build --release --locked --all-targets
step cargo clippy --release --locked --workspace --all-targets -- -D warnings
wait "$prefetching" || { cat out/prefetch.log >&2; echo "test.sh: the downloads failed (out/prefetch.log)" >&2; exit 1; }
echo "test.sh: [$((SECONDS - step_start)) s] downloads, alongside the build" >&2
# The slowest GPU tests on lavapipe are #[ignore]d (tests/gpu.rs says why): the long form,
# `cargo test --release --locked --test gpu -- --include-ignored` (or
# tools/dev/gpu_tests_on_device.sh on a real GPU), runs them too.
step cargo test --release --locked
step tools/dev/fuzz.sh smoke                # every parser's fuzz target, 12 s each
step ./build.sh
step cargo clippy --lib --locked --target wasm32-unknown-unknown --no-default-features --features web -- -D warnings
step node tests/browser/run.mjs
step node tests/browser/demo.mjs
step node tests/browser/layers.mjs          # each map adapter's example page: the layer where it should be, cancellation
step node tests/browser/long_use.mjs        # caches that heal, republished files, offline, two models at once
step node tests/browser/soak.mjs            # short soak: 30 load/dispose cycles, 600 calls (SOAK=long: 200, 10,000)
step node --test tests/node/                # the npm package in Node.js, against the native CLI
step node tests/apps/run.mjs                # the package in bundled apps and from another origin
step target/venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps dist/georange-*.whl
step target/venv/bin/python -m pytest -q python/tests
echo "test.sh: all passed in $SECONDS s" >&2
