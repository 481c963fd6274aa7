#!/usr/bin/env bash
# Real test photos and speech, from Debian packages (called by tools/test/setup-test-deps.sh):
#   darknet (sample photos: GPL-3.0+ or MIT or WTFPL), facedetect (grace_hopper: a public-domain US Navy photo),
#   pocketsphinx-testdata (five LibriVox clips of "Sense and Sensibility": public domain, package BSD-2-Clause).
# Fetched with `apt-get download` and unpacked with `dpkg -x` into .cache/test-media/{images,speech}; every file is
# checked against the sha256 below. Idempotent: nothing is fetched when the files are there and match.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.cache/test-media

sums() {
  cat <<'SUMS'
5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866  images/dog.jpg
f95f57297fd51a6c5ddceb5ed6916fa759d1d65f402fee34c05b31a9608755c0  images/eagle.jpg
00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1  images/giraffe.jpg
ee9d775343587100337da3bd24f9f9daf49756132362f09ca3ac9b676c4341b3  images/grace_hopper_512x512.jpg
c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4  images/horses.jpg
87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e  images/kite.jpg
cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1  images/person.jpg
b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c  speech/sense_and_sensibility_01_austen_64kb-0870.wav
fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414  speech/sense_and_sensibility_01_austen_64kb-0880.wav
5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10  speech/sense_and_sensibility_01_austen_64kb-0890.wav
40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59  speech/sense_and_sensibility_01_austen_64kb-0920.wav
954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7  speech/sense_and_sensibility_01_austen_64kb-0930.wav
200fb0e32de472f1eb3bcfb299f81b76ab4a1033a839cbbbc784553402273fea  speech/transcripts.tsv
SUMS
}

if [ -d "$dest" ] && (cd "$dest" && sums | sha256sum --check --quiet --status 2>/dev/null); then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  # apt-get download writes into the current folder; as root it warns that _apt cannot read it (harmless).
  if ! apt-get download darknet facedetect pocketsphinx-testdata >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
    apt-get download darknet facedetect pocketsphinx-testdata >/dev/null 2>&1 || {
      echo "error: apt-get download darknet facedetect pocketsphinx-testdata failed (no Debian package index?)" >&2
      exit 1
    }
  fi
  for deb in ./*.deb; do dpkg -x "$deb" x; done
)
mkdir -p "$dest/images" "$dest/speech"
for f in dog eagle giraffe horses kite person; do cp "$work/x/usr/share/darknet/data/$f.jpg" "$dest/images/"; done
cp "$work/x/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg" "$dest/images/"
librivox="$work/x/usr/share/pocketsphinx/test/data/librivox"
cp "$librivox"/sense_and_sensibility_01_austen_64kb-0*.wav "$dest/speech/"
# The package's transcription file is "<s> text </s> (fileid)"; tests read "file.wav<TAB>text".
sed -E 's/^<s> (.*) <\/s> \((.*)\)$/\2.wav\t\1/' "$librivox/transcription" >"$dest/speech/transcripts.tsv"
(cd "$dest" && sums | sha256sum --check --quiet) || {
  echo "error: the Debian test media do not match their expected sha256 (see tools/test/fetch-test-media.sh)" >&2
  exit 1
}
echo "test media in $dest ($(find "$dest" -type f | wc -l) files)"
