#!/usr/bin/env bash
# Issue 7's image-attack grid in one resumable `lucid run`: Mirage's sink attack and same-budget
# Gaussian noise at ε = 2, 5, 8/255 against greedy, beam 3, OPERA, VCD and DAMRO, on held-out
# ShapesWorld scenes; then CHAIR (NLTK reading, ShapesWorld synonyms) and perplexity under the base
# LLM per (attack entry, decoder).
#
#   scripts/mirage_grid.sh [SCENES] [OUT] [MODEL] [STEPS]     defaults: 20 mirage-grid shapes-smol 30
#
# Environment: SURROGATE=M makes it a transfer grid (sink images crafted on model M, answered by
# MODEL; no noise entries); METHODS overrides the decoders (a YAML list, default greedy, beam 3,
# OPERA, VCD, DAMRO); LUCID is the binary.
#
# Killed runs resume: run the same command again. Needs python3 (standard library only) to split
# the results per entry and decoder. Writes OUT/run/results.jsonl, OUT/chair.jsonl (one line per
# entry × decoder: CHAIR of the descriptions, and sentence_share = CHAIR_s over their sentences, i.e.
# the share of sentences with a hallucinated object), OUT/perplexity.json and prints a table.
set -euo pipefail
SCENES="${1:-20}"
OUT="${2:-mirage-grid}"
MODEL="${3:-shapes-smol}"
STEPS="${4:-30}"
LUCID="${LUCID:-.build/release/lucid}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [ ! -f "$OUT/world/objects.json" ]; then
  # Rendered at ShapesWorld's 224 px and resized by the model's preprocessor, as in training (a
  # direct 96-px rendering is out of distribution: clean CHAIR_i 27% instead of 10% on 10 scenes).
  "$LUCID" world generate --seed 9001 --count "$SCENES" --out "$OUT/world" >/dev/null
fi
if [ -z "${METHODS:-}" ]; then METHODS='[greedy, {name: beam, beams: 3}, {name: opera, beams: 3}, vcd, damro]'; fi
models="  - {path: $MODEL, name: clean}"
for eps in 2 5 8; do
  if [ -n "${SURROGATE:-}" ]; then
    models="$models
  - {path: $MODEL, name: transfer$eps, attack: {name: sink, eps: $eps/255, steps: $STEPS, surrogate: $SURROGATE}}"
  else
    models="$models
  - {path: $MODEL, name: noise$eps, attack: {name: noise, eps: $eps/255, seed: 1}}
  - {path: $MODEL, name: sink$eps, attack: {name: sink, eps: $eps/255, steps: $STEPS}}"
  fi
done
cat > "$OUT/grid.yaml" <<EOF
name: mirage-grid
models:
$models
dataset: {path: world/captions.jsonl, kind: captions}
methods: $METHODS
output: run
generation: {max_new_tokens: 120, image_folder: images, prompt: "Please describe this image in detail."}
EOF
"$LUCID" run "$OUT/grid.yaml"
python3 - "$OUT" <<'PY'
import collections, json, os, re, sys
out = sys.argv[1]
groups = collections.defaultdict(list)
for line in open(os.path.join(out, 'run', 'results.jsonl')):
    record = json.loads(line)
    if 'result' in record:
        groups[(record['model'], record['method'])].append({'image_id': int(record['sample_id']), 'caption': record['result']['text']})
os.makedirs(os.path.join(out, 'split'), exist_ok=True)
with open(os.path.join(out, 'split', 'groups.txt'), 'w') as index:
    for (model, method), captions in sorted(groups.items()):
        name = f'{model}.{method}'
        with open(os.path.join(out, 'split', name + '.jsonl'), 'w') as f:
            f.writelines(json.dumps(c) + '\n' for c in captions)
        # One line per sentence: CHAIR_s over these is the share of sentences with a hallucinated object.
        with open(os.path.join(out, 'split', name + '.sentences.jsonl'), 'w') as f:
            for c in captions:
                for sentence in re.split(r'(?<=[.!?])\s+', c['caption'].strip()):
                    if sentence:
                        f.write(json.dumps({'image_id': c['image_id'], 'caption': sentence}) + '\n')
        index.write(f'{name}\n')
PY
: > "$OUT/chair.jsonl"
while read -r name; do
  chair() { "$LUCID" eval chair --captions "$1" --objects "$OUT/world/objects.json" --synonyms "$OUT/world/vocabulary.txt" --json; }
  chair "$OUT/split/$name.sentences.jsonl" > "$OUT/split/$name.sentences.chair.json"
  chair "$OUT/split/$name.jsonl" | python3 -c "import json,sys; d=json.load(sys.stdin); d['group']='$name'; d['sentence_share']=json.load(open('$OUT/split/$name.sentences.chair.json'))['chair_s']; print(json.dumps(d))" >> "$OUT/chair.jsonl"
done < "$OUT/split/groups.txt"
"$LUCID" eval perplexity --input "$OUT/run/results.jsonl" --group-by model,method --json > "$OUT/perplexity.json"
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
ppl = {g['group'].replace(' · ', '.'): g for g in json.load(open(os.path.join(out, 'perplexity.json')))}
print('| entry.decoder | CHAIR_s | CHAIR_i | sentences with a hallucination | recall | perplexity |')
print('|---|---|---|---|---|---|')
for line in open(os.path.join(out, 'chair.jsonl')):
    d = json.loads(line)
    p = ppl.get(d['group'], {}).get('perplexity')
    ci = d.get('chair_i')  # absent when no object was mentioned
    print(f"| {d['group']} | {100 * d['chair_s']:.1f} | {'–' if ci is None else f'{100 * ci:.1f}'} | {100 * d['sentence_share']:.1f} | {100 * d['recall']:.1f} | {'–' if p is None else round(p, 2)} |")
PY
