#!/usr/bin/env bash
# `make bench`: runs the PyTorch-from-Python reference and Lucid with the same settings, then
# prints Lucid's table with ratios. Results are kept in bench-results/ (git-ignored).
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
