#!/usr/bin/env bash
# Creates packages/models/.venv with Python huggingface_hub, used by packages/models/test/python-cache.test.ts
# to check that Python reads the cache our `pull` writes, and that we read what Python writes. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=packages/models/.venv
req=packages/models/test/python/requirements.txt
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import huggingface_hub" >/dev/null 2>&1 &&
  cmp -s "$req" "$venv/.requirements.txt"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$venv/.requirements.txt"
