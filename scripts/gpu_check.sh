#!/usr/bin/env bash
# One command for a Linux x86-64 machine with an NVIDIA GPU: builds Lucid against the CUDA torch
# wheel, runs the device tests (they skip without a device; this script fails if they did) and the
# option checks, then times bf16 against f32 decoding.
#
#   LUCID_TORCH_SHA256=<sha256 of torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl> scripts/gpu_check.sh
#
# NOT RUN by its authors: the machine Lucid is developed on has no GPU. Expect to fix small things
# the first time. What it can show today: libtorch sees the GPU (CUDA backend loaded from beside
# libtorch_cpu), tensors move there and multiply in f32 and bf16 (DeviceTests), and a model asked
# for on `cuda` is refused up front with the reason (the model runtime is CPU-only so far, see
# docs/engine.md). The decode benchmark therefore runs on the CPU in bf16 and f32 (SmolLM2).
# Time: the wheel downloads (~2.5 GB with the nvidia-* wheels) plus a clean build dominate; with
# the downloads cached and 16 cores the rest is a few minutes.
set -euo pipefail
: "${LUCID_TORCH_SHA256:?set LUCID_TORCH_SHA256 to the SHA-256 of the CUDA wheel (check it on PyPI first)}"
export LUCID_TORCH=cuda
export LUCID_CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
export PKG_CONFIG_PATH="$LUCID_CACHE/torch/pkgconfig"
start=$(date +%s)
say() { printf '[gpu_check %4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

say "libtorch from the CUDA wheel (scripts/setup.sh, LUCID_TORCH=cuda)"
bash scripts/setup.sh
# libtorch_cuda.so needs the CUDA runtime libraries the torch wheel depends on (nvidia-* wheels):
# install them once into a venv and put their lib directories on the loader path.
NVIDIA_VENV="$LUCID_CACHE/nvidia-venv"
if [ ! -x "$NVIDIA_VENV/bin/python" ]; then
  python3 -m venv "$NVIDIA_VENV"
  "$NVIDIA_VENV/bin/pip" install --quiet "torch==2.13.0"
fi
LD_LIBRARY_PATH="$(ls -d "$NVIDIA_VENV"/lib/python3*/site-packages/nvidia/*/lib | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || say "nvidia-smi not found"

say "build (debug, with tests)"
swift build --build-tests 2>&1 | tail -3
BIN="$(swift build --show-bin-path)"
bash scripts/setup.sh --link-libs "$BIN"

say "device tests"
swift test --skip-build --filter "DeviceTests|ModelLoadOptionsTests" 2>&1 | tee /tmp/lucid-gpu-tests.log | grep -E "✔|✘|skipped"
if grep -q "tensorsMoveToCUDAAndComputeThereInBF16() skipped" /tmp/lucid-gpu-tests.log; then
  say "FAILED: the CUDA test was skipped, so this libtorch sees no CUDA device (check LD_LIBRARY_PATH and nvidia-smi)"
  exit 1
fi
grep -q "✘" /tmp/lucid-gpu-tests.log && { say "FAILED: a device test failed"; exit 1; }

say "a model on cuda is refused up front, with the reason:"
"$BIN/lucid" generate --prompt "hi" --device cuda --dtype bf16 2>&1 | head -3 || true

say "decode benchmark on the CPU: SmolLM2, 64 new tokens, f32 then bf16"
for dtype in f32 bf16; do
  "$BIN/lucid" generate --prompt "Give me a short introduction to large language models." --max-new-tokens 64 \
    --dtype "$dtype" --json | python3 -c "import json,sys; s=json.load(sys.stdin)['stats']; print('$dtype', {k: v for k, v in s.items() if 'per_second' in k or 'tokens' in k})"
done
say "done"
