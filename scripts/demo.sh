#!/usr/bin/env bash
# `make demo`: what Lucid can do today on its bundled default model.
# The engine layer is in place (tensors, autograd, checkpoint readers); model runtime, decoding
# methods, attacks and the ShapesWorld model organisms arrive with later issues and join this demo.
set -euo pipefail
LUCID="${1:?usage: demo.sh LUCID_BINARY GGUF}"
GGUF="${2:?usage: demo.sh LUCID_BINARY GGUF}"

echo "== lucid --version"
"$LUCID" --version
echo
echo "== lucid info smollm2 (SmolLM2-135M-Instruct, Q4_1 GGUF installed by set-up)"
"$LUCID" info "$GGUF" --no-tensors --array-limit 8
echo
echo "== lucid bench ops (short run; 'make bench' compares against PyTorch from Python)"
"$LUCID" bench ops --sizes 512 --threads 1:2 --seconds 0.3
