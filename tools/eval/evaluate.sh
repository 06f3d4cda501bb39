#!/usr/bin/env bash
# The RANGE-over-GeoCLIP evaluation in EVALUATION.md, from a fresh checkout: builds what it needs
# (build.sh: the CLI, GeoCLIP, the Blue Marble bank), sets up the pinned Python packages in
# .venv-eval/, runs tools/eval/evaluate.py and writes the table into EVALUATION.md's results block.
# Takes about 25–30 minutes on 2 cores. Extra arguments go to tools/eval/evaluate.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/georange ] && [ -s www/models/geoclip/bluemarble-bank.safetensors ] || ./build.sh
[ -x .venv-eval/bin/python ] || python3 -m venv .venv-eval
.venv-eval/bin/pip install --quiet --disable-pip-version-check -r tools/eval/requirements-eval.txt
.venv-eval/bin/python tools/eval/evaluate.py --markdown out/eval/table.md "$@"
python3 - <<'PY'
import re, pathlib
doc = pathlib.Path("EVALUATION.md")
table = pathlib.Path("out/eval/table.md").read_text()
text = re.sub(r"(<!-- results -->\n).*?(<!-- /results -->)", lambda m: m.group(1) + table + m.group(2), doc.read_text(), flags=re.S)
doc.write_text(text)
PY
echo "EVALUATION.md updated"
