#!/usr/bin/env bash
# Builds a copy of `lucid` that runs on another x86-64 Linux machine with no Swift toolchain and no
# network, using the libtorch of a torch 2.11.0 that is already installed there (e.g. a Python venv
# with torch 2.11.0+cu130 on a GPU machine).
#
#   scripts/build_portable.sh [OUT]      OUT defaults to .portable/ in the repository (git-ignored
#                                        through .git/info/exclude, which this script sees to)
#
# What it does:
#   1. Downloads the torch 2.11.0 wheel (pinned SHA-256) and unpacks its torch/include and the CPU side
#      of torch/lib under $CACHE/torch/2.11.0-<variant>, with a lucid-torch.pc beside it, as
#      scripts/setup.sh does for the default libtorch (which it leaves alone).
#   2. Builds `lucid` in release mode with the Swift runtime linked in (--static-swift-stdlib), against
#      that libtorch, in its own scratch path, so the usual .build/ is never touched.
#   3. Fills OUT (~23 MB) with the stripped binary, xz-compressed (85 MB unpacked, 34 MB of which is
#      Foundation's ICU data), the non-glibc, non-libtorch shared libraries it needs (libpng16.so.16,
#      libjpeg.so.62: Ubuntu 24.04 ships libjpeg.so.8, not .62) and run-lucid.sh, which unpacks the
#      binary on first use, puts OUT and the target's torch/lib on LD_LIBRARY_PATH and runs it.
#
# On the target: copy OUT over and run `OUT/run-lucid.sh ARGS...`. It finds torch/lib from
# /opt/torch/.venv/bin/python3 (LUCID_PYTHON overrides), or takes TORCH_LIB=/path/to/torch/lib.
# libtorch_cuda.so is dlopened from beside libtorch_cpu.so when CUDA is first asked for (see
# docs/engine.md), so a CUDA torch there gives the binary CUDA without linking it here.
#
# Environment:
#   LUCID_PORTABLE_CACHE    download and unpack cache (default /tmp/lucid-portable-cache)
#   LUCID_PORTABLE_SCRATCH  SwiftPM scratch path (default /tmp/lucid-portable-build)
#   LUCID_PORTABLE_TORCH    pypi (default) or cpu. pypi: `torch==2.11.0` from PyPI, the cu130 build,
#                           the same build as a plain `pip install torch==2.11.0` on the target; only
#                           its CPU-side libraries are unpacked. cpu: `torch==2.11.0+cpu` from the
#                           PyTorch CPU index (smaller download); its checksum is not pinned here, so
#                           LUCID_PORTABLE_TORCH_SHA256 must be given.
#   LUCID_PORTABLE_TORCH_SHA256  overrides the pinned checksum of the wheel
#   LUCID_PORTABLE_NICE     niceness of the build (default 10)
#   LUCID_PORTABLE_COMPRESS 1 (default) ships lucid.xz; 0 ships the plain binary
#
# Needs the Swift toolchain, python3 with pip, pkg-config, binutils and the libpng/libjpeg dev
# packages (scripts/setup.sh installs those). The binary needs glibc >= the build machine's (2.36 on
# Debian 12) and a libstdc++ at least as new as the build machine's on the target.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/.portable}"
CACHE="${LUCID_PORTABLE_CACHE:-/tmp/lucid-portable-cache}"
SCRATCH="${LUCID_PORTABLE_SCRATCH:-/tmp/lucid-portable-build}"
NICE="${LUCID_PORTABLE_NICE:-10}"
COMPRESS="${LUCID_PORTABLE_COMPRESS:-1}"
case "${1:-}" in -h|--help) sed -n '2,39p' "$0"; exit 0 ;; esac

say() { printf 'build_portable: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- 1. libtorch 2.11.0 from the torch wheel -------------------------------------------------------
TORCH_VERSION="2.11.0"
TORCH_SOURCE="${LUCID_PORTABLE_TORCH:-pypi}"
case "$TORCH_SOURCE" in
  pypi)
    TORCH_VARIANT="cu130"
    TORCH_REQ="torch==${TORCH_VERSION}"
    TORCH_WHEEL="torch-${TORCH_VERSION}-cp312-cp312-manylinux_2_28_x86_64.whl"
    TORCH_INDEX=(--isolated)  # not a +cpu build that a find-links folder or pip.conf may offer
    TORCH_SHA256="${LUCID_PORTABLE_TORCH_SHA256:-0f68f4ac6d95d12e896c3b7a912b5871619542ec54d3649cf48cc1edd4dd2756}" ;;
  cpu)
    TORCH_VARIANT="cpu"
    TORCH_REQ="torch==${TORCH_VERSION}+cpu"
    TORCH_WHEEL="torch-${TORCH_VERSION}+cpu-cp312-cp312-manylinux_2_28_x86_64.whl"
    TORCH_INDEX=(--index-url https://download.pytorch.org/whl/cpu)
    TORCH_SHA256="${LUCID_PORTABLE_TORCH_SHA256:-}" ;;
  *) die "LUCID_PORTABLE_TORCH='$TORCH_SOURCE' is not pypi or cpu" ;;
esac
TORCH_HOME="$CACHE/torch/${TORCH_VERSION}-${TORCH_VARIANT}"
TORCH_PC_DIR="$TORCH_HOME/pkgconfig"
# shellcheck source=scripts/torch_wheel.sh
. "$ROOT/scripts/torch_wheel.sh"

if [ ! -f "$TORCH_HOME/.complete" ]; then
  fetch_pinned_wheel "$TORCH_REQ" "$TORCH_WHEEL" "$TORCH_SHA256" 3.12 --platform manylinux_2_28_x86_64 \
    ${TORCH_INDEX[@]+"${TORCH_INDEX[@]}"} || die "no torch wheel (set LUCID_PORTABLE_TORCH_SHA256 once checked)"
  say "unpacking torch/include and the CPU side of torch/lib to $TORCH_HOME"
  # Lucid links libtorch_cpu and libc10 only (CUDA is dlopened at run time from the target's torch), so
  # the CUDA libraries (~900 MB in the PyPI wheel) stay out. The PyPI build's libtorch_cpu.so needs the
  # CUDA runtime libraries, GPU or not: with them beside it the binary also runs here
  # (TORCH_LIB=$TORCH_HOME/lib), CUDA simply unavailable; on the target the real torch/lib is used.
  runtime=0
  [ "$TORCH_VARIANT" = cu130 ] && runtime=1
  torch_install_libtorch "$CACHE/wheels/$TORCH_WHEEL" "$TORCH_HOME" "$runtime" \
    libtorch_cuda libc10_cuda.so libcaffe2_nvrtc.so libtorch_nvshmem.so || die "could not unpack libtorch"
fi
# The same pkg-config file as scripts/setup.sh writes, in a directory of its own so that the default
# $LUCID_CACHE/torch/pkgconfig (libtorch 2.13) is never shadowed.
torch_write_pc "$TORCH_PC_DIR" "$TORCH_HOME" "$TORCH_VERSION" "$TORCH_VARIANT" scripts/build_portable.sh

# --- 2. the release build, Swift runtime linked in -------------------------------------------------
say "building lucid (release, --static-swift-stdlib) in $SCRATCH"
build=(swift build -c release --product lucid --static-swift-stdlib --scratch-path "$SCRATCH")
(
  cd "$ROOT"
  export PKG_CONFIG_PATH="$TORCH_PC_DIR" LUCID_CACHE="$CACHE"
  nice -n "$NICE" "${build[@]}"
)
BIN_DIR="$(cd "$ROOT" && PKG_CONFIG_PATH="$TORCH_PC_DIR" "${build[@]}" --show-bin-path)"
[ -x "$BIN_DIR/lucid" ] || die "no binary at $BIN_DIR/lucid"

# --- 3. the folder ---------------------------------------------------------------------------------
if [ "$OUT" = "$ROOT/.portable" ]; then
  exclude="$(git -C "$ROOT" rev-parse --git-path info/exclude)"
  case "$exclude" in /*) ;; *) exclude="$ROOT/$exclude" ;; esac
  mkdir -p "$(dirname "$exclude")"
  grep -qxF '/.portable/' "$exclude" 2>/dev/null || echo '/.portable/' >> "$exclude"
fi
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$BIN_DIR/lucid" "$OUT/lucid"
strip --strip-all "$OUT/lucid"

needed="$(readelf -d "$OUT/lucid" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
if grep -q 'libswift\|libFoundation\|lib_Foundation\|libdispatch\|libBlocksRuntime' <<<"$needed"; then
  die "the binary still needs a Swift runtime library (was --static-swift-stdlib ignored?): $needed"
fi
max_glibc="$(objdump -T "$OUT/lucid" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)"
max_glibcxx="$(objdump -T "$OUT/lucid" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -n 1)"

# Every library ldd lists that is neither glibc's, libstdc++/libgcc_s/zlib (on any machine with
# torch) nor libtorch's (the target's torch/lib has those) is copied under its soname. ldd resolves
# against the 2.11 libtorch, so nothing of it is mistaken for a missing library.
keep_system='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libutil|libresolv|libstdc\+\+|libgcc_s|libz)\.so'
libtorch_names='^(libtorch|libtorch_cpu|libc10|libgomp|libcudart|libcupti)\.so'
while read -r name _ path _; do
  [ -n "$path" ] && [ "$path" != "not" ] || die "unresolved library $name (ldd: $name => $path)"
  if [[ "$name" =~ $keep_system ]] || [[ "$name" =~ $libtorch_names ]]; then continue; fi
  cp -L "$path" "$OUT/$name"
  strip --strip-unneeded "$OUT/$name"
  chmod 0755 "$OUT/$name"
done < <(LD_LIBRARY_PATH="$TORCH_HOME/lib" ldd "$OUT/lucid" | awk '$2 == "=>" { print $1, $2, $3, $4 }')

# Stripped, the binary is ~85 MB, 34 MB of it the ICU data that the statically linked Foundation
# carries (icudt*_dat); xz brings it to ~22 MB. run-lucid.sh unpacks it on first use, beside itself
# (or under $TMPDIR when the folder is read-only), to a name with the archive's checksum in it, so a
# newer folder copied over an older one never runs a stale binary.
BIN_ID=""
if [ "$COMPRESS" = 1 ]; then
  say "compressing the binary (xz)"
  xz -6 -T0 "$OUT/lucid"
  BIN_ID="$(sha256sum "$OUT/lucid.xz" | cut -c1-12)"
fi

sed "s/@BIN_ID@/$BIN_ID/" > "$OUT/run-lucid.sh" <<'SH'
#!/usr/bin/env bash
# Runs the lucid of this folder (scripts/build_portable.sh made it) with the shared libraries beside
# it and an installed torch's libtorch: TORCH_LIB=/path/to/torch/lib, or else the torch that
# LUCID_PYTHON (default /opt/torch/.venv/bin/python3) finds, without importing it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${LUCID_PYTHON:-/opt/torch/.venv/bin/python3}"
BIN_ID="@BIN_ID@"
BIN="$HERE/lucid"
if [ -n "$BIN_ID" ]; then
  # The binary ships xz-compressed: unpack it once (xz, or Python's lzma where xz is missing).
  dir="$HERE"
  [ -w "$dir" ] || { dir="${TMPDIR:-/tmp}/lucid-portable-$(id -u)"; mkdir -p "$dir"; }
  BIN="$dir/.lucid-$BIN_ID"
  if [ ! -x "$BIN" ]; then
    echo "run-lucid.sh: unpacking lucid.xz to $BIN (once)" >&2
    trap 'rm -f "$BIN.part.$$"' EXIT
    if command -v xz >/dev/null; then
      xz -dc "$HERE/lucid.xz" > "$BIN.part.$$"
    else
      "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' \
        "$HERE/lucid.xz" "$BIN.part.$$"
    fi
    chmod 0755 "$BIN.part.$$"
    mv -f "$BIN.part.$$" "$BIN"
    trap - EXIT
  fi
fi
if [ -z "${TORCH_LIB:-}" ]; then
  TORCH_LIB="$("$PY" -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("torch").origin), "lib"))')" \
    || { echo "run-lucid.sh: no torch found through $PY; set TORCH_LIB=/path/to/torch/lib" >&2; exit 1; }
fi
[ -f "$TORCH_LIB/libtorch_cpu.so" ] || { echo "run-lucid.sh: no libtorch_cpu.so in $TORCH_LIB" >&2; exit 1; }
# libtorch_cuda.so needs the CUDA libraries of the nvidia-* wheels installed beside torch (Python torch
# preloads them itself; a plain process must be told where they are).
NVIDIA_LIBS="$(ls -d "$TORCH_LIB"/../../nvidia/*/lib 2>/dev/null | paste -sd: || true)"
export LD_LIBRARY_PATH="$HERE:$TORCH_LIB${NVIDIA_LIBS:+:$NVIDIA_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$BIN" "$@"
SH
chmod 0755 "$OUT/run-lucid.sh"

say "built $OUT against libtorch $TORCH_VERSION ($TORCH_VARIANT):"
(cd "$OUT" && ls -l --block-size=K . >&2 && du -sh --apparent-size . >&2)
say "lucid needs: $needed"
say "highest symbol versions: $max_glibc, $max_glibcxx"
