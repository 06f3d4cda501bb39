#!/usr/bin/env bash
# The GPU benchmarks of BENCHMARKS.md in one run on a machine with an NVIDIA GPU and nothing
# else installed: our bench binaries built elsewhere and xz-compressed (`bin/embed-vulkan.xz`:
# --features vulkan; `bin/embed-wgpu.xz`: the default WGSL build), the Vulkan loader as .deb
# files (`gl/`), and the reference's wheel (`whl/`, torch already there), all packed by
# `tools/bench/devbench_pack.sh`. Each step has its own time limit and log, in the order of what
# matters most; a failing step does not stop the others.
#
#   tools/bench/device_bench.sh CARRY_DIR OUT_DIR [all|short|profile|flash]
#
# `flash` (about 10 minutes) puts the streamed tiles and burn's attention op
# (`GpuAttention::Flash`: cubek's flash kernels, autotuned) side by side at batch 10,000 with
# 100k rows in f16 and f32 (and at batch 1 in f32: the RANGE+ anomaly of BENCHMARKS.md), each
# with its difference from the stream; then the stream and our fused kernel
# (`GpuAttention::Fused`, src/attention/fused.rs; the WGSL build, what browsers run) at batch 1 and
# 10,000; then batch 65,536 against 1M rows through the op (f16), and the tile profile.
#
# `short` (about 6 minutes) runs only the headline cases — batch 10,000 in f16 and f32, batch
# 65,536 against 1M rows, single points — in as few processes as possible: the SPIR-V build
# autotunes each new matrix shape once per process, which costs tens of seconds per shape.
# `profile` times each step of one streamed tile at batch 10,000 in f16 and
# f32, and at batch 1 in f32 (`GEORANGE_BENCH_CASES=profile`: matmuls, exp, sums, casts, whole
# streams, burn's flash-attention op), then the encoder with SatCLIP's harmonics on the host
# and on the device, RANGE / RANGE+ at batch 10,000 with the device's harmonics, and an int8
# bank file held int8 on the GPU (about 9 minutes in all).
set -u
carry=$1 out=$2 mode=${3:-all}
mkdir -p "$out"
mkdir -p /tmp/bin
for f in "$carry"/bin/*.xz; do
    python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' "$f" \
        "/tmp/bin/$(basename "$f" .xz)"
done
chmod +x /tmp/bin/*
for f in "$carry"/gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$carry"/whl/*.whl \
    && export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$out/machine.txt"
nproc >>"$out/machine.txt"
# GPU memory every 200 ms; steps.log says which step ran when.
nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader,nounits -lms 200 >"$out/gpumem.csv" &
sampler=$!

step() { # name, seconds, command…
    local name=$1 secs=$2
    shift 2
    echo "$(date +%T.%N | cut -c1-12) start $name" >>"$out/steps.log"
    timeout "$secs" bash -c '"$@"' _ "$@" >"$out/$name.log" 2>&1
    local rc=$?
    echo "$(date +%T.%N | cut -c1-12) end $name rc=$rc" >>"$out/steps.log"
    grep -v XDG_RUNTIME "$out/$name.log" | tail -40
}
bench() { # binary, precision, rows, batches, cases, budgets
    env GEORANGE_BENCH_BACKEND=wgpu GEORANGE_BENCH_GPU_PRECISION=$2 GEORANGE_BENCH_ROWS=$3 \
        GEORANGE_BENCH_BATCHES=$4 GEORANGE_BENCH_CASES=$5 GEORANGE_BENCH_TILE_BUDGETS=$6 \
        GEORANGE_BENCH_TILE_BUDGET=${BUDGET:-8} "/tmp/bin/$1"
}
export -f bench
if [ "$mode" = short ]; then
    export BUDGET=32 # tiles of 32M scores (run 2 of 2026-11-30)
    step vulkan-f16-100k-10k "${T1:-130}" bench embed-vulkan f16 100000 10000 range,range+ ""
    step vulkan-f32-100k-10k "${T2:-110}" bench embed-vulkan f32 100000 10000 range,range+ ""
    step vulkan-f16-1m-65k "${T3:-110}" bench embed-vulkan f16 1000000 65536 range ""
    step vulkan-f32-100k-1 "${T4:-35}" bench embed-vulkan f32 100000 1 range+b0,range+ ""
    kill $sampler
    exit 0
fi
if [ "$mode" = flash ]; then
    export BUDGET=32 GEORANGE_BENCH_MATMUL=2048
    step flash-vulkan-f16-100k-10k "${T1:-140}" bench embed-vulkan f16 100000 10000 range,range+,flash ""
    step flash-vulkan-f32-100k-1-10k "${T2:-170}" bench embed-vulkan f32 100000 1,10000 range,range+,flash ""
    step fused-wgpu-f32-100k-1-10k "${T5:-60}" bench embed-wgpu f32 100000 1,10000 range,range+,fused ""
    step flash-vulkan-f16-1m-65k "${T3:-120}" bench embed-vulkan f16 1000000 65536 flash ""
    step profile-vulkan-f16 "${T4:-50}" bench embed-vulkan f16 100000 10000 profile ""
    kill $sampler
    exit 0
fi
if [ "$mode" = profile ]; then
    export BUDGET=32 GEORANGE_BENCH_MATMUL=2048 # each process's matmul probe: smaller, known shape
    step profile-vulkan-f16 "${T1:-150}" bench embed-vulkan f16 100000 10000 profile ""
    step profile-vulkan-f32 "${T2:-150}" bench embed-vulkan f32 100000 1,10000 profile ""
    GEORANGE_BENCH_HARMONICS=host step encoder-host-harmonics "${T3:-40}" bench embed-vulkan f32 1000 1,1000,10000 encoder ""
    GEORANGE_BENCH_HARMONICS=device step encoder-device-harmonics "${T3:-40}" bench embed-vulkan f32 1000 1,1000,10000 encoder ""
    step vulkan-f16-100k-10k "${T4:-110}" bench embed-vulkan f16 100000 10000 range,range+ ""
    GEORANGE_BENCH_DTYPE=int8 step vulkan-int8-100k "${T5:-90}" bench embed-vulkan int8 100000 1,10000 range,range+ ""
    kill $sampler
    exit 0
fi
# The SPIR-V build first; should it fail on this driver, the WGSL build takes its steps.
bin=embed-vulkan
step vulkan-f32-100k "${T1:-110}" bench $bin f32 100000 1,1000,10000 explain,encoder,range,range+ 16,32,64
if ! grep -q '^| RANGE | 1 |' "$out/vulkan-f32-100k.log"; then
    bin=embed-wgpu
    step wgpu-f32-100k "${T1:-110}" bench $bin f32 100000 1,1000,10000 explain,encoder,range,range+ 16,32,64
fi
step ${bin#embed-}-f16-100k "${T2:-90}" bench $bin f16 100000 1,1000,10000 encoder,range,range+ 16,32,64
step reference-cuda-100k "${T3:-120}" python3 tools/bench/bench_reference.py --device cuda --rows 100000 \
    --batches 1,1000,10000 --dense
step ${bin#embed-}-f16-1m "${T4:-110}" bench $bin f16 1000000 65536 range,range+ 32
[ $bin = embed-vulkan ] && step wgpu-f32-100k-b "${T5:-60}" bench embed-wgpu f32 100000 1,10000 range,range+ ""
kill $sampler
