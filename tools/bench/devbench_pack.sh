#!/usr/bin/env bash
# Packs into .devbench/ what tools/bench/device_bench.sh needs on a GPU machine that has nothing
# installed and no network (the `run` tool's device; carry [".devbench"], under 64 MiB):
#   bin/embed-vulkan.xz  the bench built with --features vulkan (SPIR-V, autotune, fusion)
#   bin/embed-wgpu.xz    the bench of the default build (WGSL: what browsers run)
#   gl/*.deb             the Vulkan loader (the device has NVIDIA's driver but no loader)
#   whl/*.whl            the reference (rangegeo) and its einops; torch is on the device
# then, on the device: tools/bench/device_bench.sh .devbench "$OUT" [all|short|profile|flash].
#
#   tools/bench/devbench_pack.sh        (about 15 minutes on 2 cores from a cold vulkan build)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.devbench
rm -rf "$out"
mkdir -p "$out/bin" "$out/gl" "$out/whl"

# Builds the bench with the given cargo arguments; writes it stripped and xz-compressed.
pack() {
    local name=$1 exe
    shift
    exe=$(cargo bench --bench embed --no-run --locked "$@" 2>&1 | tee /dev/stderr |
        sed -n 's/.*Executable benches\/embed.rs (\(.*\))$/\1/p' | tail -1)
    [ -x "$exe" ] || { echo "devbench_pack.sh: no bench executable for $name" >&2; exit 1; }
    strip -o "$out/bin/$name" "$exe"
    xz -T0 -6 "$out/bin/$name"
}
pack embed-wgpu
pack embed-vulkan --features vulkan --target-dir target/vulkan

(cd "$out/gl" && apt-get download libvulkan1)
python3 -m pip download -q --no-deps --only-binary=:all: -d "$out/whl" rangegeo==0.1.0 einops==0.8.1
du -sh "$out"/*
du -sh "$out"
