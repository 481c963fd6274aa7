#!/usr/bin/env bash
# Text and speech for tools/bench/stt-wer.ts (a benchmark's corpus, not test data; nothing here is committed), from
# Debian packages into .cache/bench-wer/:
#   fortunes-min (BSD): the one-line-ish quotes of its `fortunes` file, 8–40 words, no digits, quotes, attributions
#     or markup -> sentences.txt (one per line; stt-wer.ts speaks them with a Piper voice);
#   pocketsphinx-testdata (BSD-2-Clause): the five "cards" recordings (real speech: card names) -> cards/*.wav and
#     cards/transcripts.tsv ("file.wav<TAB>text", as .cache/test-media/speech/transcripts.tsv).
# Idempotent: nothing is fetched when sentences.txt and the cards are there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.cache/bench-wer
if [ -s "$dest/sentences.txt" ] && [ -s "$dest/cards/transcripts.tsv" ]; then
  echo "corpus in $dest ($(wc -l <"$dest/sentences.txt") sentences, $(ls "$dest"/cards/*.wav | wc -l) card clips)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  if ! apt-get download fortunes-min pocketsphinx-testdata >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
    apt-get download fortunes-min pocketsphinx-testdata >/dev/null 2>&1 || {
      echo "error: apt-get download fortunes-min pocketsphinx-testdata failed (no Debian package index?)" >&2
      exit 1
    }
  fi
  for deb in ./*.deb; do dpkg -x "$deb" x; done
)
mkdir -p "$dest/cards"
# fortune files separate entries with a line holding "%".
awk 'BEGIN { RS = "\n%\n" } {
  gsub(/\n/, " "); gsub(/ +/, " "); sub(/^ /, ""); sub(/ $/, "")
  if ($0 ~ /--|\t|[^ -~]|[:;()\[\]{}<>|_=*\/\\"@#$%^&0-9]/) next
  if (NF >= 8 && NF <= 40) print
}' "$work/x/usr/share/games/fortunes/fortunes" >"$dest/sentences.txt"
cards="$work/x/usr/share/pocketsphinx/test/data/cards"
cp "$cards"/00?.wav "$dest/cards/"
# "<s> ten of clubs  </s> (001)" -> "001.wav<TAB>ten of clubs"
sed -E 's/^<s> *(.*[^ ]) *<\/s> \((.*)\)$/\2.wav\t\1/' "$cards/cards.transcription" >"$dest/cards/transcripts.tsv"
echo "corpus in $dest ($(wc -l <"$dest/sentences.txt") sentences, $(ls "$dest"/cards/*.wav | wc -l) card clips)"
