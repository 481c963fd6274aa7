#!/usr/bin/env bash
# Chromium for the playground's browser tests (packages/playground/test/browser.test.ts drives it with
# playwright-core; Playwright's own browser download cannot work offline). Debian's package; idempotent and quiet.
set -euo pipefail

if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "warning: not root; apt-get install chromium for the playground's browser tests" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
