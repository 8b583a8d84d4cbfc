#!/usr/bin/env bash
# `make demo`: Lucid's main job on its bundled default model, the shapes-smol organism (a ShapesWorld
# vision tower + projector trained by Lucid on frozen SmolLM2-135M-Instruct, which set-up installs):
# describe fresh held-out scenes, mark hallucinated objects against the exact ground truth, score
# CHAIR and POPE, and write an HTML report.
set -euo pipefail
LUCID="${1:?usage: demo.sh LUCID_BINARY [OUT]}"
OUT="${2:-demo-output}"

echo "== $("$LUCID" --version)"
echo
echo "== lucid demo --model shapes-smol: 12 fresh ShapesWorld scenes (world seed 2026), greedy vs DAMRO"
"$LUCID" demo --model shapes-smol --scenes 12 --seed 2026 --methods greedy,damro --out "$OUT"
echo
echo "== the same model answering one question about one of those scenes"
"$LUCID" generate --model shapes-smol --image "$OUT/world/images/1.png" --prompt "Is there a fork in the image?" --max-new-tokens 8
echo
echo "Open $OUT/report.html. More: lucid demo --help, lucid train --help, README.md"
