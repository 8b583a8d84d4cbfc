#!/usr/bin/env bash
# `make demo`: Lucid on its bundled default model today (SmolLM2-135M-Instruct, installed by set-up).
# The ShapesWorld vision-language organisms (issue 5) will replace it as the default model.
set -euo pipefail
LUCID="${1:?usage: demo.sh LUCID_BINARY GGUF}"
GGUF="${2:?usage: demo.sh LUCID_BINARY GGUF}"

echo "== lucid --version"
"$LUCID" --version
echo
echo "== lucid generate (greedy, streamed): What is the capital of France?"
"$LUCID" generate --model "$GGUF" --prompt "What is the capital of France?" --max-new-tokens 32
echo
echo "== the same with OPERA decoding (over-trust penalty + retrospection; efficient setting, 3 beams)"
"$LUCID" generate --model "$GGUF" --prompt "What is the capital of France?" --max-new-tokens 32 --decoding opera --beams 3 --opera-efficient
echo
echo "== lucid inspect: last-layer attention and a middle hidden state of one forward pass"
out="$(mktemp -d)/trace.safetensors"
"$LUCID" inspect --model "$GGUF" --prompt "Name a primary colour." --capture "logits,attentions:-1,hidden:15" --out "$out"
"$LUCID" info "$out" --no-tensors | head -3
echo
echo "More: lucid --help, lucid generate --help, README.md"
