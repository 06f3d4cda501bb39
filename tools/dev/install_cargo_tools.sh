#!/usr/bin/env bash
# Installs the cargo-built tools, when missing or at another version:
#   wasm-bindgen   wasm-bindgen-cli at the version Cargo.lock pins (build.sh: the JS glue)
#   cargo-fuzz     cargo-fuzz 0.13.2 (tools/dev/fuzz.sh)
# Each compiles from crates.io: ./test.sh compiles both beside the native build; build.sh and
# fuzz.sh ask for theirs when run on their own. Built with plain rustc (./test.sh's clippy
# wrapper is not for them), and without optimisation: on 2 cores, 121 CPU-seconds for both
# instead of 290, and wasm-bindgen then takes 6 s a module instead of 2 (BENCHMARKS.md, "The
# test command").
set -euo pipefail
cd "$(dirname "$0")/../.."
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"   # where cargo install puts them
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
tools=("$@")
[ $# -gt 0 ] || tools=(wasm-bindgen cargo-fuzz)
for t in "${tools[@]}"; do
    case "$t" in
      wasm-bindgen)
        version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
        wasm-bindgen --version 2>/dev/null | grep -qF "$version" ||
          # Without its default TLS stack (rustls, for the test runner's downloads, which this
          # project does not use).
          # Not --locked: see ../shared/notes/toolchain.md.
          cargo install -q wasm-bindgen-cli --version "$version" --no-default-features
        ;;
      cargo-fuzz)
        cargo fuzz --version 2>/dev/null | grep -qF 0.13.2 || cargo install -q cargo-fuzz --version 0.13.2 --locked
        ;;
      *) echo "install_cargo_tools.sh: unknown tool $t (wasm-bindgen, cargo-fuzz)" >&2; exit 2 ;;
    esac
done
