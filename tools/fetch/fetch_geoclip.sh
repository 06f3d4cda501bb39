#!/usr/bin/env bash
# Fetches GeoCLIP's real pretrained location encoder from the PyPI package `geoclip` 1.3.0
# (a registry download, no model hub) and unpacks the weights and the GPS gallery into
# ${1:-target/geoclip}/. Idempotent.
set -euo pipefail
dest=${1:-target/geoclip}
pth="$dest/location_encoder_weights.pth"
[ -s "$pth" ] && [ -s "$dest/coordinates_100K.csv" ] && exit 0
mkdir -p "$dest/wheel"
python3 -m pip download --quiet --no-deps --disable-pip-version-check geoclip==1.3.0 -d "$dest/wheel"
python3 - "$dest" <<'PY'
import glob, sys, zipfile
dest = sys.argv[1]
wheel = glob.glob(f"{dest}/wheel/geoclip-1.3.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for member, name in [("geoclip/model/weights/location_encoder_weights.pth", "location_encoder_weights.pth"),
                         ("geoclip/model/gps_gallery/coordinates_100K.csv", "coordinates_100K.csv")]:
        with z.open(member) as src, open(f"{dest}/{name}", "wb") as out:
            out.write(src.read())
PY
echo "GeoCLIP weights in $pth"
