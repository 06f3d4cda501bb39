#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz + libFuzzer with AddressSanitizer).
#
#   tools/dev/fuzz.sh smoke          each target for 12 s from the committed seeds (CI; about 50 s)
#   tools/dev/fuzz.sh long SECONDS   each target for SECONDS, two at a time, logs in fuzz/logs/
#
# `long` fuzzes optimised builds (-O). `smoke` builds unoptimised (--dev): on 2 cores that
# takes about 5 minutes against 20 for -O (cargo-fuzz builds -O with one codegen unit per crate,
# burn included; opt-level 1 still took 13), and 12 seconds find little either way. Both
# build as the CLI ships, without debug assertions and overflow checks (RELIABILITY.md).
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer); RUSTC_BOOTSTRAP lets the stable
# toolchain accept them, since a machine of this project's kind has no nightly to fetch.
# Inputs that crash land in fuzz/artifacts/TARGET/; `cargo fuzz run -O TARGET FILE` replays one
# (one from a smoke run: --dev with the RUSTFLAGS below).
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
mode=${1:-smoke}
seconds=${2:-600}
../tools/dev/install_cargo_tools.sh cargo-fuzz
# Fuzz targets build with plain rustc even inside ./test.sh (whose clippy wrapper is for the
# main workspace).
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
export RUSTC_BOOTSTRAP=1
case "$mode" in
  smoke) build=(--dev)
    # Appended after cargo-fuzz's own flags (its --dev adds -Cdebug-assertions), so these win.
    export RUSTFLAGS="${RUSTFLAGS:-} -Cdebug-assertions=off -Coverflow-checks=off -Cdebuginfo=line-tables-only" ;;
  long) build=(-O) ;;
  *) echo "usage: tools/dev/fuzz.sh smoke | long SECONDS" >&2; exit 2 ;;
esac
cargo fuzz build "${build[@]}"
# Limits: a parser must not need gigabytes for a small file (an allocation over 2 GiB fails).
flags=(-rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=30 -print_final_stats=1)

run() { # target seconds
  mkdir -p "corpus/$1"
  cargo fuzz run "${build[@]}" "$1" "corpus/$1" "seeds/$1" -- -max_total_time="$2" "${flags[@]}"
}

targets=$(cargo fuzz list)
case "$mode" in
  smoke)
    for t in $targets; do run "$t" 12 2>&1 | tail -n 12; done
    ;;
  long)
    mkdir -p logs
    set -- $targets
    while [ $# -gt 0 ]; do
      for t in "$1" "${2:-}"; do [ -n "$t" ] && { run "$t" "$seconds" > "logs/$t.log" 2>&1 & }; done
      wait
      shift; [ $# -gt 0 ] && shift
    done
    grep -H -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" logs/*.log
    ;;
esac
if [ -n "$(find artifacts -type f 2>/dev/null)" ]; then
  echo "fuzz: inputs that failed are in fuzz/artifacts:" >&2
  find artifacts -type f >&2
  exit 1
fi
