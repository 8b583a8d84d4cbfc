#!/usr/bin/env bash
# SCAV on the smol-aligned organism: probes on one half of the held-out AdvBench split (vs benign
# instructions), then the embedding-level attack on the other half. Writes OUT/probes.json,
# OUT/probe_accuracy.json and OUT/scav.json. Usage: scripts/scav_smol_aligned.sh [LUCID] [OUT]
set -euo pipefail
LUCID="${1:-.build/release/lucid}"
OUT="${2:-scav-output}"
MODEL_DIR="${LUCID_MODELS:-Models}/smol-aligned"
mkdir -p "$OUT"
total=$(wc -l < "$MODEL_DIR/advbench_heldout.txt")
half=$((total / 2))
head -n "$half" "$MODEL_DIR/advbench_heldout.txt" > "$OUT/probe_malicious.txt"
tail -n +"$((half + 1))" "$MODEL_DIR/advbench_heldout.txt" > "$OUT/attack_prompts.txt"
cat "$MODEL_DIR/benign_train.txt" "$MODEL_DIR/benign_heldout.txt" > "$OUT/probe_safe.txt"
"$LUCID" probe train --model smol-aligned --malicious "$OUT/probe_malicious.txt" --safe "$OUT/probe_safe.txt" \
  --out "$OUT/probes.json" --json > "$OUT/probe_accuracy.json"
"$LUCID" attack scav --model smol-aligned --probes "$OUT/probes.json" --prompts "$OUT/attack_prompts.txt" \
  --baseline --max-new-tokens 48 --json > "$OUT/scav.json"
echo "probe accuracy: $OUT/probe_accuracy.json · attack: $OUT/scav.json"
