#!/usr/bin/env bash
# The native espeak-ng phonemizer's tests need the system library libespeak-ng1 (Debian; GPL-3.0-or-later,
# loaded at run time through koffi, never bundled). Idempotent and quiet; the tests compare it with the WASM
# `espeak-ng` package, which pnpm installs as a devDependency.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libespeak-ng\.so\.1'; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "warning: not root; apt-get install libespeak-ng1 for the native phonemizer tests" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libespeak-ng1 >/dev/null
