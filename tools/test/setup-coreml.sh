#!/usr/bin/env bash
# What run-coreml's Linux tests need (called by tools/test/setup-test-deps.sh):
# - clang + GNUstep's Foundation headers (Debian `clang`, `libgnustep-base-dev`, `libblocksruntime-dev`) for the Objective-C++ syntax check
#   of native/coreml (test/native-syntax.test.ts);
# - a Python venv with coremltools 9.0 + numpy + onnx in .cache/coreml-venv: test/spec.test.ts compares the
#   TypeScript spec reader with coremltools' own load_spec on every fixture (tools/fixtures/coreml/describe.py),
#   and tools/fixtures/coreml/generate.py regenerates the fixtures with it.
# Idempotent and quiet: reuses what is already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v clang >/dev/null 2>&1 || [ ! -f /usr/include/GNUstep/Foundation/Foundation.h ] || [ ! -f /usr/include/Block.h ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends clang libgnustep-base-dev libblocksruntime-dev >/dev/null
  else
    echo "warning: not root; apt-get install clang libgnustep-base-dev for the CoreML syntax check" >&2
  fi
fi

VENV=.cache/coreml-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import coremltools, numpy' >/dev/null 2>&1; then
  PY=""
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' >/dev/null 2>&1; then
      PY="$candidate"
      break
    fi
  done
  if [ -z "$PY" ]; then
    echo "warning: coremltools 9.0 needs Python 3.11 (its Linux wheel is cp311); the CoreML fixture test will skip" >&2
    exit 0
  fi
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tools/fixtures/coreml/requirements.txt
fi
