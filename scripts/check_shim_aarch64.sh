#!/usr/bin/env bash
# Checks that the C++ shim (Sources/CTorch/*.cpp) compiles for arm64 (Linux or macOS's arm64 wheel),
# where the x86-64 SIMD kernels must drop out behind their guards (LT_SMALL_LINEAR_X86 and the like)
# and libtorch's own kernels take over. A front-end check only (-fsyntax-only) with the toolchain's
# clang on an x86-64 machine: there is no arm64 sysroot here, so the host's glibc and libstdc++
# headers stand in, with the two of them that are x86-64-specific (gnu/stubs-32.h, bits/wordsize.h)
# replaced by 64-bit stand-ins in a temporary folder. Exit status 1 when a file has an error.
#
#   scripts/check_shim_aarch64.sh          libtorch headers from $LUCID_CACHE (scripts/setup.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
TORCH="$(ls -d "$CACHE"/torch/2.13.0-* 2>/dev/null | head -1)"
[ -d "$TORCH/include" ] || { echo "check_shim_aarch64: no libtorch headers under $CACHE/torch (run scripts/setup.sh)" >&2; exit 2; }
GCC_VERSION="$(ls /usr/include/c++ | sort -V | tail -1)"
FAKE="$(mktemp -d)"
trap 'rm -rf "$FAKE"' EXIT
mkdir -p "$FAKE/gnu" "$FAKE/bits"
: > "$FAKE/gnu/stubs-32.h"
printf '#define __WORDSIZE 64\n#define __WORDSIZE_TIME64_COMPAT32 1\n#define __SYSCALL_WORDSIZE 64\n' > "$FAKE/bits/wordsize.h"
failed=0
for file in "$ROOT"/Sources/CTorch/*.cpp; do
  if clang++ --target=aarch64-linux-gnu -std=c++17 -fsyntax-only -Wno-c++20-extensions \
      -I "$ROOT/Sources/CTorch/include" -I "$TORCH/include" -I "$TORCH/include/torch/csrc/api/include" \
      -isystem "$FAKE" -isystem /usr/include/x86_64-linux-gnu -isystem "/usr/include/c++/$GCC_VERSION" \
      -isystem "/usr/include/x86_64-linux-gnu/c++/$GCC_VERSION" "$file"; then
    echo "aarch64 ok: ${file#"$ROOT"/}"
  else
    echo "aarch64 FAILED: ${file#"$ROOT"/}"; failed=1
  fi
done
exit "$failed"
