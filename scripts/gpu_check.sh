#!/usr/bin/env bash
# One command for a Linux x86-64 machine with an NVIDIA GPU: Lucid's model runtime on CUDA against
# the CPU, then the LLaVA-1.5-7B-shaped bf16 benchmark on the GPU against transformers.
#
#   scripts/gpu_check.sh                    build here against the CUDA torch wheel (Swift toolchain and
#                                           network; LUCID_TORCH_SHA256 = the wheel's checksum), run the
#                                           device tests, then the checks below
#   scripts/gpu_check.sh --prebuilt DIR     use a lucid built elsewhere (scripts/build_portable.sh) with
#                                           this machine's Python torch (a GPU box without Swift or network)
#
# The checks: `lucid check-device` on the six tiny fixture families (LLaVA-1.5, Llama, LLaVA-NeXT,
# Qwen2-VL, Qwen2.5-VL, InstructBLIP) in f32 and bf16 — logits, the pixel gradient and every decoder,
# CPU against cuda; then scripts/make_synthetic_checkpoint.py writes the 7B shape (bf16, 14 GB, once)
# and `lucid bench llava --device cuda` runs against scripts/bench_llava_reference.py --device cuda
# (transformers on the same torch). Results (JSON) go to $LUCID_GPU_OUT (default $OUT or
# /tmp/lucid-gpu-check). Exit status 1 when a check disagrees beyond its tolerance.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RESULTS="${LUCID_GPU_OUT:-${OUT:-/tmp/lucid-gpu-check}}"
CHECKPOINT="${LUCID_LLAVA7B:-/tmp/lucid-llava-1.5-7b-synthetic}"
NEW_TOKENS="${LUCID_GPU_NEW_TOKENS:-32}"
mkdir -p "$RESULTS"
start=$(date +%s)
say() { printf '[gpu_check %4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
PY="${PYTHON:-python3}"

if [ "${1:-}" = "--prebuilt" ]; then
  [ -x "${2:-}/run-lucid.sh" ] || { echo "gpu_check: --prebuilt needs a folder from scripts/build_portable.sh (with run-lucid.sh)" >&2; exit 2; }
  LUCID=("$2/run-lucid.sh")
else
  set -e
  : "${LUCID_TORCH_SHA256:?set LUCID_TORCH_SHA256 to the SHA-256 of the CUDA wheel (check it on PyPI first)}"
  export LUCID_TORCH=cuda LUCID_CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
  export PKG_CONFIG_PATH="$LUCID_CACHE/torch/pkgconfig"
  say "libtorch from the CUDA wheel (scripts/setup.sh, LUCID_TORCH=cuda)"
  bash scripts/setup.sh
  # libtorch_cuda.so needs the CUDA runtime libraries of the nvidia-* wheels the torch wheel depends on.
  NVIDIA_VENV="$LUCID_CACHE/nvidia-venv"
  if [ ! -x "$NVIDIA_VENV/bin/python" ]; then
    python3 -m venv "$NVIDIA_VENV"
    "$NVIDIA_VENV/bin/pip" install --quiet "torch==2.13.0" transformers safetensors
  fi
  LD_LIBRARY_PATH="$(ls -d "$NVIDIA_VENV"/lib/python3*/site-packages/nvidia/*/lib | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  PY="$NVIDIA_VENV/bin/python"
  say "build (debug, with tests)"
  swift build --build-tests 2>&1 | tail -3
  BIN="$(swift build --show-bin-path)"
  bash scripts/setup.sh --link-libs "$BIN"
  say "device tests"
  swift test --skip-build --filter "DeviceTests|ModelLoadOptionsTests|DeviceAgreementTests" 2>&1 | tee "$RESULTS/device-tests.log" | grep -E "✔|✘|skipped"
  if grep -q "skipped" "$RESULTS/device-tests.log" && grep -q "CUDA" "$RESULTS/device-tests.log"; then
    say "FAILED: a CUDA test was skipped, so this libtorch sees no CUDA device (check LD_LIBRARY_PATH and nvidia-smi)"; exit 1
  fi
  grep -q "✘" "$RESULTS/device-tests.log" && { say "FAILED: a device test failed"; exit 1; }
  set +e
  LUCID=("$BIN/lucid")
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || say "nvidia-smi not found"
"$PY" -c 'import torch, transformers; print("python torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__)' || true

failed=0
say "check-device: CPU against cuda, six fixture families, f32 and bf16"
F=Tests/LucidModelsTests/Fixtures
for fixture in llava/llava-a llama/llama-gqa llava-next qwen2-vl qwen2.5-vl instructblip; do
  for dtype in f32 bf16; do
    name="$(echo "$fixture" | tr '/.' '--')-$dtype"
    if "${LUCID[@]}" check-device --model "$F/$fixture/model" --device cuda --dtype "$dtype" --max-new-tokens 6 --json \
        > "$RESULTS/check-$name.json" 2> "$RESULTS/check-$name.log"; then
      say "$fixture $dtype: all agree"
    else
      failed=1
      say "$fixture $dtype: DIFFERS or failed:"; tail -12 "$RESULTS/check-$name.log"
    fi
  done
done

say "LLaVA-1.5-7B shape, bf16, on cuda: checkpoint"
if ! "$PY" scripts/make_synthetic_checkpoint.py "$CHECKPOINT" --check > /dev/null 2>&1; then
  rm -rf "$CHECKPOINT"; mkdir -p "$CHECKPOINT"
  "$PY" scripts/make_synthetic_checkpoint.py "$CHECKPOINT" | tail -1
fi
inputs="$RESULTS/llava7b-inputs.safetensors"
say "transformers on cuda ($NEW_TOKENS new tokens)"
PYTHONUNBUFFERED=1 "$PY" scripts/bench_llava_reference.py "$CHECKPOINT" --inputs "$inputs" --dtype bf16 --device cuda \
  --new-tokens "$NEW_TOKENS" > "$RESULTS/llava7b-reference.json" || { failed=1; say "the reference failed"; }
say "lucid on cuda"
"${LUCID[@]}" bench llava --model "$CHECKPOINT" --dtype bf16 --device cuda --inputs "$inputs" \
  --reference "$RESULTS/llava7b-reference.json" --json > "$RESULTS/llava7b-lucid.json" || { failed=1; say "lucid bench failed"; }
cat "$RESULTS/llava7b-lucid.json"
say "done (results in $RESULTS)"
exit "$failed"
