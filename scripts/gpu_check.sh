#!/usr/bin/env bash
# One command for a Linux x86-64 machine with an NVIDIA GPU: Lucid's model runtime on CUDA against
# the CPU, then the LLaVA-1.5-7B-shaped bf16 benchmark on the GPU against transformers.
#
#   scripts/gpu_check.sh                    build here against the CUDA torch wheel (Swift toolchain and
#                                           network; the wheel's checksum is pinned in scripts/setup.sh),
#                                           run the device tests, then the checks below
#   scripts/gpu_check.sh --prebuilt DIR     use a lucid built elsewhere (scripts/build_portable.sh) with
#                                           this machine's Python torch (a GPU box without Swift or network)
#
# The checks (LUCID_GPU_STEPS, comma-separated; default all of them):
#   fixtures   `lucid check-device` on the six tiny fixture families (LLaVA-1.5, Llama, LLaVA-NeXT,
#              Qwen2-VL, Qwen2.5-VL, InstructBLIP) in f32 and bf16 — logits, the pixel gradient and
#              every decoder, CPU against cuda;
#   organisms  the bundled organisms found under Models/ (needs the SmolLM2 GGUF: LUCID_SMOLLM2_GGUF):
#              check-device on each (for shapes-smol-q also the gate and the BPDA gradient), the Mirage
#              sink attack on shapes-smol (5 steps) and a small `defend qmllm eval` (40 scenes, 2 images × 10 PGD
#              steps at 8/255), each on cpu and on cuda;
#   budget     a 172 GB sparse Llama checkpoint (scripts/make_sparse_checkpoint.py) must be refused up
#              front against the GPU's free memory, not loaded;
#   bench      scripts/make_synthetic_checkpoint.py writes the 7B shape (bf16, 14 GB, once) and
#              `lucid bench llava --device cuda` runs against scripts/bench_llava_reference.py
#              --device cuda (transformers on the same torch).
# Results (JSON and logs) go to $LUCID_GPU_OUT (default $OUT or /tmp/lucid-gpu-check). Exit status 1
# when a check disagrees beyond its tolerance or a step fails.
set -uo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
  ""|--prebuilt) ;;
  *) echo "gpu_check: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RESULTS="${LUCID_GPU_OUT:-${OUT:-/tmp/lucid-gpu-check}}"
CHECKPOINT="${LUCID_LLAVA7B:-/tmp/lucid-llava-1.5-7b-synthetic}"
NEW_TOKENS="${LUCID_GPU_NEW_TOKENS:-32}"
mkdir -p "$RESULTS"
start=$(date +%s)
say() { printf '[gpu_check %4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
PY="${PYTHON:-python3}"
steps="${LUCID_GPU_STEPS:-fixtures,organisms,budget,bench}"
want() { [[ ",$steps," == *",$1,"* ]]; }
for step in ${steps//,/ }; do
  case "$step" in fixtures|organisms|budget|bench) ;;
    *) echo "gpu_check: LUCID_GPU_STEPS names '$step', not one of fixtures, organisms, budget, bench" >&2; exit 2 ;;
  esac
done

if [ "${1:-}" = "--prebuilt" ]; then
  [ -x "${2:-}/run-lucid.sh" ] || { echo "gpu_check: --prebuilt needs a folder from scripts/build_portable.sh (with run-lucid.sh)" >&2; exit 2; }
  LUCID=("$2/run-lucid.sh")
else
  set -e
  # The CUDA wheel becomes $LUCID_CACHE's libtorch (`scripts/setup.sh` with LUCID_TORCH=cpu switches
  # back); the build goes to .build-cuda, so a CPU build in .build is left as it is.
  export LUCID_TORCH=cuda LUCID_CACHE="${LUCID_CACHE:-$HOME/.cache/lucid}"
  export PKG_CONFIG_PATH="$LUCID_CACHE/torch/pkgconfig"
  say "libtorch from the CUDA wheel (scripts/setup.sh, LUCID_TORCH=cuda)"
  bash scripts/setup.sh
  # libtorch_cuda.so needs the CUDA libraries of the nvidia-* wheels the torch wheel depends on; the
  # same venv is the reference side (transformers pinned as in scripts/requirements-bench.txt).
  # --isolated: a find-links folder or pip.conf offering the +cpu build would win otherwise.
  NVIDIA_VENV="$LUCID_CACHE/nvidia-venv"
  if ! "$NVIDIA_VENV/bin/python" -c "import torch, transformers, sys; sys.exit(0 if torch.version.cuda and torch.__version__ == '2.13.0' else 1)" 2>/dev/null; then
    say "a venv with torch 2.13.0 (CUDA) and the reference's packages at $NVIDIA_VENV (several GB, once)"
    rm -rf "$NVIDIA_VENV"
    python3 -m venv "$NVIDIA_VENV"
    "$NVIDIA_VENV/bin/pip" install --isolated --quiet --disable-pip-version-check "torch==2.13.0" -r scripts/requirements-bench.txt
  fi
  LD_LIBRARY_PATH="$(ls -d "$NVIDIA_VENV"/lib/python3*/site-packages/nvidia/*/lib | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  PY="$NVIDIA_VENV/bin/python"
  SWIFT_BUILD=(swift build --scratch-path "$ROOT/.build-cuda")
  say "build (debug, with tests, in .build-cuda)"
  "${SWIFT_BUILD[@]}" --build-tests 2>&1 | tail -3
  BIN="$("${SWIFT_BUILD[@]}" --show-bin-path)"
  bash scripts/setup.sh --link-libs "$BIN"
  say "device tests"
  swift test --scratch-path "$ROOT/.build-cuda" --skip-build --filter "DeviceTests|ModelLoadOptionsTests|DeviceAgreementTests|VectorQuantizerTests" 2>&1 \
    | tee "$RESULTS/device-tests.log" | grep -E "✔|✘|skipped|↳"
  if grep -q "skipped" "$RESULTS/device-tests.log" && grep -q "CUDA" "$RESULTS/device-tests.log"; then
    say "FAILED: a CUDA test was skipped, so this libtorch sees no CUDA device (check LD_LIBRARY_PATH and nvidia-smi)"
    "$BIN/lucid" --version || true
    exit 1
  fi
  grep -q "✘" "$RESULTS/device-tests.log" && { say "FAILED: a device test failed"; exit 1; }
  set +e
  LUCID=("$BIN/lucid")
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || say "nvidia-smi not found"
"$PY" -c 'import torch, transformers; print("python torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__)' || true

failed=0
# check_device MODEL NAME DTYPE: `lucid check-device` CPU against cuda; JSON and log under $RESULTS.
check_device() {
  if "${LUCID[@]}" check-device --model "$1" --device cuda --dtype "$3" --max-new-tokens 6 --json \
      > "$RESULTS/check-$2-$3.json" 2> "$RESULTS/check-$2-$3.log"; then
    say "$2 $3: all agree"
  else
    failed=1
    say "$2 $3: DIFFERS or failed:"; tail -14 "$RESULTS/check-$2-$3.log"
  fi
}

if want fixtures; then
  say "check-device: CPU against cuda, six fixture families, f32 and bf16"
  F=Tests/LucidModelsTests/Fixtures
  for fixture in llava/llava-a llama/llama-gqa llava-next qwen2-vl qwen2.5-vl instructblip; do
    for dtype in f32 bf16; do check_device "$F/$fixture/model" "$(echo "$fixture" | tr '/.' '--')" "$dtype"; done
  done
fi

if want organisms; then
  organisms=()
  for name in shapes-smol shapes-smol-q; do [ -f "Models/$name/config.json" ] && organisms+=("$name"); done
  if [ "${#organisms[@]}" = 0 ] || ! "${LUCID[@]}" generate --model smollm2 --prompt hi --max-new-tokens 1 > /dev/null 2>&1; then
    say "organisms: skipped (needs Models/shapes-smol* and the SmolLM2 GGUF at LUCID_SMOLLM2_GGUF)"
  else
    for name in "${organisms[@]}"; do
      for dtype in f32 bf16; do check_device "$name" "$name" "$dtype"; done
    done
    image=Tests/LucidModelsTests/Fixtures/qwen2.5-vl/square.png
    for device in cpu cuda; do
      # Separate caches: `defend qmllm eval` would otherwise reuse the other device's answers.
      cache="$(mktemp -d)"
      if [ ! -f Models/shapes-smol/config.json ]; then
        say "sink attack on $device: skipped (needs Models/shapes-smol, an undefended organism)"
      elif LUCID_CACHE="$cache" "${LUCID[@]}" attack sink --model shapes-smol --device "$device" --image "$image" \
          --out "$RESULTS/sink-$device.png" --steps 5 --max-new-tokens 24 --json > "$RESULTS/sink-$device.json" 2> "$RESULTS/sink-$device.log"; then
        say "sink attack on $device: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("losses", [round(s["loss"], 5) for s in d["steps"]], "final", round(d["final_loss"], 5), "%.3f s/step" % d["seconds_per_step"])' "$RESULTS/sink-$device.json")"
      else
        failed=1; say "sink attack on $device failed:"; tail -8 "$RESULTS/sink-$device.log"
      fi
      if [ -f Models/shapes-smol-q/config.json ]; then  # with its recorded base, Models/shapes-smol-hazard
        start_eval=$(date +%s)
        if LUCID_CACHE="$cache" "${LUCID[@]}" defend qmllm eval --model shapes-smol-q --device "$device" --scenes 40 \
            --attack-images 2 --attack-steps 10 --epsilons 8 --latency-images 0 --no-answer-cache --json \
            > "$RESULTS/qmllm-$device.json" 2> "$RESULTS/qmllm-$device.log"; then
          say "qmllm eval on $device ($(( $(date +%s) - start_eval )) s): $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d.get(k) for k in ("dsr", "false_refusal", "asr_undefended", "asr_naive", "asr_bpda", "harmful_images", "benign_images")})' "$RESULTS/qmllm-$device.json")"
        else
          failed=1; say "qmllm eval on $device failed:"; tail -8 "$RESULTS/qmllm-$device.log"
        fi
      fi
      rm -rf "$cache"
    done
    # The same work on both devices: the sink losses within f32's tolerance (TF32 convolutions), the
    # gate's decisions on the clean scenes identical.
    if ! "$PY" - "$RESULTS" <<'PY'; then failed=1; fi
import json, os, sys
out, ok = sys.argv[1], True
def load(name):
    path = os.path.join(out, name)
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else None
a, b = load("sink-cpu.json"), load("sink-cuda.json")
if a and b:
    worst = max(abs(x["loss"] - y["loss"]) / abs(x["loss"]) for x, y in zip(a["steps"], b["steps"]))
    ok &= worst <= 2e-3 and len(a["steps"]) == len(b["steps"])
    print(f"sink attack cpu vs cuda: largest relative loss difference {worst:.2e} (tolerance 2e-3); "
          f"responses {'identical' if a['adversarial_response'] == b['adversarial_response'] else 'differ'}")
a, b = load("qmllm-cpu.json"), load("qmllm-cuda.json")
if a and b:
    same = all(a.get(k) == b.get(k) for k in ("dsr", "false_refusal", "harmful_images", "benign_images"))
    ok &= same
    print(f"qmllm eval cpu vs cuda: gate decisions {'identical' if same else 'DIFFER'}; "
          f"asr undefended/naive/bpda {a.get('asr_undefended')}/{a.get('asr_naive')}/{a.get('asr_bpda')} vs "
          f"{b.get('asr_undefended')}/{b.get('asr_naive')}/{b.get('asr_bpda')}")
sys.exit(0 if ok else 1)
PY
  fi
fi

if want budget; then
  sparse="$(mktemp -d)/llama-172gb"
  "$PY" scripts/make_sparse_checkpoint.py "$sparse" --layers 100
  "${LUCID[@]}" generate --model "$sparse" --device cuda --dtype bf16 --prompt hi --max-new-tokens 1 \
    > "$RESULTS/budget.log" 2>&1
  status=$?
  if [ "$status" != 0 ] && grep -q "is free on cuda" "$RESULTS/budget.log"; then
    say "budget: refused up front: $(tail -1 "$RESULTS/budget.log")"
  else
    failed=1; say "budget: NOT refused against the GPU's memory (exit $status):"; tail -4 "$RESULTS/budget.log"
  fi
  rm -rf "$(dirname "$sparse")"
fi

if ! want bench; then say "done (results in $RESULTS)"; exit "$failed"; fi
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
