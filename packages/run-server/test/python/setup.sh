#!/usr/bin/env bash
# Creates packages/run-server/.venv with the official OpenAI Python SDK, used by test/python-sdk.test.ts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../../.venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c "import openai; print('openai', openai.__version__)"
