#!/usr/bin/env bash
# `make bench`: each benchmark runs its reference (PyTorch / transformers from Python, same libtorch)
# and Lucid with the same settings on this machine, then prints Lucid's table with ratios.
# Results are kept in bench-results/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LUCID="${1:-$ROOT/.build/release/lucid}"
PY="$ROOT/.venv-bench/bin/python"
OUT="$ROOT/bench-results"
mkdir -p "$OUT"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

echo "== ops: PyTorch reference ==" >&2
"$PY" "$ROOT/scripts/bench_reference.py" --json > "$OUT/ops-reference-$stamp.json"
echo "== ops: Lucid ==" >&2
"$LUCID" bench ops --reference "$OUT/ops-reference-$stamp.json" | tee "$OUT/ops-$stamp.md"
echo

echo "== generate: transformers reference (SmolLM2, fp32, greedy, 128 tokens) ==" >&2
"$PY" "$ROOT/scripts/bench_generate_reference.py" --threads 1:2 > "$OUT/generate-reference-$stamp.json"
echo "== generate: Lucid ==" >&2
"$LUCID" bench generate --reference "$OUT/generate-reference-$stamp.json" | tee "$OUT/generate-$stamp.md"
