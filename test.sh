#!/usr/bin/env bash
# Every test:
#  - cargo test: unit tests, parity with the reference's golden outputs (CPU), the CLI and
#    corrupt-file tests, GeoCLIP with its real weights, and the same parity on burn-wgpu
#    (tests/gpu.rs: Vulkan; Mesa's lavapipe on a machine without a GPU);
#  - a short run of every fuzz target (tools/dev/fuzz.sh smoke; RELIABILITY.md), beside the rest;
#  - the browser tests: build.sh's npm package in headless Chromium on WebGPU and on the CPU
#    fallback (tests/browser/run.mjs), and the demo page as a visitor uses it
#    (tests/browser/demo.mjs; screenshots in out/screenshots/), the map-layer adapters'
#    example pages (tests/browser/layers.mjs), and in long use: the Cache API
#    policy (tests/browser/long_use.mjs) and memory over many cycles (tests/browser/soak.mjs);
#  - the npm package in Node.js (tests/node/), as a build-time script uses it, and in apps
#    built with Vite, webpack and esbuild, and from another origin (tests/apps/run.mjs);
#  - the Python package (build.sh's wheel, in target/venv): parity, errors, processes, Dask
#    (python/tests/).
#  - and first the code's form: `cargo fmt --check`, and clippy with `-D warnings` on every
#    crate of ours as it is compiled: the native build (every target), the browser build
#    (wasm32, in build.sh) and the Python binding (build.sh's wheel).
# Needs Rust, python3 + pip (GeoCLIP's wheel), node + npm; installs chromium and
# mesa-vulkan-drivers with apt when missing. Each step prints its time (CI's budget for the
# whole is 40 minutes on 2 cores; BENCHMARKS.md, "The test command's time"). What keeps it
# there: what waits on the network, and the cargo-built tools (compiled unoptimised), run while
# Rust compiles; clippy is the compiler of our own crates (nothing is compiled a second time
# for it); the fuzz smoke runs at the idle policy beside build.sh and the browser tests,
# which leave a core idle much of the time; the tests spend their time on what they check
# (GPU tests one at a time, small views and batches where a large one checks nothing more).
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
# Background jobs (below) end with this script, however it ends.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
step_start=$SECONDS
prefetch > out/prefetch.log 2>&1 &
prefetching=$!
# wasm-bindgen-cli (build.sh's) and cargo-fuzz, compiled from crates.io beside the native
# build, at its priority, and waited for before the tests: at the lowest priority they compiled
# during the tests instead, and slowed them (tests whose threads yield their core while they
# wait hand it to any process, niced or not: the integration tests took 64 s instead of 29
# beside a niced compile, measured).
tools/dev/install_cargo_tools.sh > out/cargo-tools.log 2>&1 &
tooling=$!

# Clippy as the compiler of this workspace's crates (cargo runs RUSTC_WORKSPACE_WRAPPER for
# them only; dependencies get plain rustc): every cargo call below lints what it compiles, with
# the arguments cargo-clippy itself passes clippy-driver (CLIPPY_ARGS). A separate `cargo
# clippy` would check every dependency once more (minutes on a fresh machine, twice: native
# and wasm32).
export RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step cargo fmt --all --check
step cargo build --release --locked --all-targets
wait "$prefetching" || { cat out/prefetch.log >&2; echo "test.sh: the downloads failed (out/prefetch.log)" >&2; exit 1; }
echo "test.sh: [$((SECONDS - step_start)) s] downloads, alongside the build" >&2
wait "$tooling" || { cat out/cargo-tools.log >&2; echo "test.sh: installing wasm-bindgen-cli or cargo-fuzz failed (out/cargo-tools.log)" >&2; exit 1; }
echo "test.sh: [$((SECONDS - step_start)) s] wasm-bindgen-cli and cargo-fuzz, alongside the build" >&2
# The slowest GPU tests on lavapipe are #[ignore]d (tests/gpu.rs says why): the long form,
# `cargo test --release --locked --test gpu -- --include-ignored` (or
# tools/dev/gpu_tests_on_device.sh on a real GPU), runs them too.
step cargo test --release --locked

# Every parser's fuzz target, 12 s each (its AddressSanitizer build is most of it), beside the
# steps below in the core they leave idle, waited for at the end: at the scheduler's idle
# policy, which runs it only when nothing else wants a core (at nice 19 alone, the steps'
# threads that yield while they wait handed it their core: the browser and app tests took
# 64 s longer; the integration tests beside a compile 64 s at nice 19, 38 s idle, 29 s alone).
fuzz_start=$SECONDS
chrt --idle 0 nice -n 19 tools/dev/fuzz.sh smoke > out/fuzz-smoke.log 2>&1 &
fuzzing=$!
step ./build.sh
step node tests/browser/run.mjs
step node tests/browser/demo.mjs
step node tests/browser/layers.mjs          # each map adapter's example page: the layer where it should be, cancellation
step node tests/browser/long_use.mjs        # caches that heal, republished files, offline, two models at once
step node tests/browser/soak.mjs            # short soak: 30 load/dispose cycles, 600 calls (SOAK=long: 200, 10,000)
step node --test tests/node/                # the npm package in Node.js, against the native CLI
step node tests/apps/run.mjs                # the package in bundled apps and from another origin
step target/venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps dist/georange-*.whl
step target/venv/bin/python -m pytest -q python/tests
wait "$fuzzing" || { tail -n 60 out/fuzz-smoke.log >&2; echo "test.sh: the fuzz smoke failed (out/fuzz-smoke.log)" >&2; exit 1; }
grep -E "^(Done|stat::number_of_executed_units)" out/fuzz-smoke.log >&2 || true
echo "test.sh: [$((SECONDS - fuzz_start)) s] tools/dev/fuzz.sh smoke, beside the steps after cargo test" >&2
echo "test.sh: all passed in $SECONDS s" >&2
