#!/usr/bin/env bash
# tests/gpu.rs (the parity and "places like this" tests on burn-wgpu) on a real GPU: the `run`
# tool's device, which has NVIDIA's driver but no Vulkan loader, no Rust and no network.
#
#   tools/dev/gpu_tests_on_device.sh pack          here: the test binary (stripped, xz) and the
#                                                  Vulkan loader's .deb into .devbench/ (carry it)
#   tools/dev/gpu_tests_on_device.sh run OUT [FILTER]   on the device: install the loader, run
#                                                  the tests (a cargo test filter), log into OUT
# (`cli_backend_wgpu` runs the CLI, which is not carried: it fails there; skip it with the
# filter `--skip cli_backend_wgpu`.)
set -euo pipefail
cd "$(dirname "$0")/../.."
case ${1:-} in
pack)
    exe=$(cargo test --release --locked --test gpu --no-run 2>&1 | sed -n 's/.*Executable tests\/gpu.rs (\(.*\))$/\1/p' | tail -1)
    [ -x "$exe" ] || { echo "gpu_tests_on_device.sh: no test binary" >&2; exit 1; }
    rm -rf .devbench && mkdir -p .devbench/bin .devbench/gl
    strip -o .devbench/bin/gpu-tests "$exe"
    xz -T0 -6 .devbench/bin/gpu-tests
    (cd .devbench/gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)   # the NVIDIA ICD needs glvnd
    pwd > .devbench/built_at   # the fixtures' path compiled into the tests (CARGO_MANIFEST_DIR)
    du -sh .devbench
    ;;
run)
    out=$2
    shift 2
    mkdir -p "$out" /tmp/bin
    python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' \
        .devbench/bin/gpu-tests.xz /tmp/bin/gpu-tests
    chmod +x /tmp/bin/gpu-tests
    for f in .devbench/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$icd" ] && export VK_DRIVER_FILES=$icd __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    # The tests find their fixtures under the path they were built at (CARGO_MANIFEST_DIR).
    built=$(cat .devbench/built_at)
    if [ ! -e "$built" ]; then mkdir -p "$(dirname "$built")" && ln -s "$PWD" "$built"; fi
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/machine.txt"
    XDG_RUNTIME_DIR=/tmp /tmp/bin/gpu-tests --test-threads 1 --include-ignored "$@" 2>&1 | grep -v XDG_RUNTIME | tee "$out/gpu-tests.log"
    ;;
*)
    echo "usage: tools/dev/gpu_tests_on_device.sh pack | run OUT [FILTER]" >&2
    exit 2
    ;;
esac
