#!/usr/bin/env bash
# The converters' Python environment (coremltools 9.0, torch 2.7.0, ultralytics, transformers, onnxruntime …,
# pinned in packages/converters/python/requirements.txt) for packages/converters' tests. Idempotent: the venv lives
# under ~/.cache/llama-pajamas (or $LLAMA_PAJAMAS_CACHE), keyed by the requirements' hash, and is reused when its
# stamp matches. A cold install downloads ~3 GB from PyPI (torch is the CUDA build) and took about 5 minutes here.
# Needs the packages built (tools/setup.sh builds them before calling setup-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
log="$(mktemp -t lp-converters-setup.XXXXXX)"
start=$SECONDS
if node packages/cli/dist/cli.js convert setup >"$log" 2>&1; then
  echo "converters: Python environment ready ($((SECONDS - start)) s; $(grep -o 'reusing\|creating' "$log" | head -1))"
  rm -f "$log"
else
  tail -n 30 "$log" >&2
  echo "converters: setting up the Python environment failed (full log: $log)" >&2
  exit 1
fi
