#!/usr/bin/env python3
"""Expected CHAIR outputs for LucidEval's fixtures, computed by OPERA's own chair.py.

Runs `CHAIR.compute_chair` of shikiw/OPERA's chair.py (read from a local checkout, not copied)
under nltk 3.8.1, with NLTK's models built from Data/nltk and WordNet 3.0 from
/usr/share/wordnet (see make_eval_nltk_oracle.py), and ground truth from an object-list file
{"<image_id>": [node words]} instead of COCO annotations (the cached-evaluator path of chair.py).

Writes, per caption file NAME.jsonl:
  expected_NAME.json                {"file", "recomputed": {CHAIR_s, CHAIR_i, Recall, Len}, "counts": {...}}
  expected_per_caption_NAME.jsonl   {"file", "line", "image_id", "object_words", "mentions",
                                     "hallucinated", "chair_s", "num_tokens"} per caption

Usage:
  python scripts/make_chair_expected.py --opera /path/to/OPERA --nltk Data/nltk \
      --objects Tests/LucidEvalTests/Fixtures/chair/gt_objects_instructblip.json \
      --out Tests/LucidEvalTests/Fixtures/chair CAPTIONS.jsonl [...]
"""
import argparse
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections import defaultdict


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opera", required=True, help="checkout of shikiw/OPERA (chair.py is imported from it)")
    ap.add_argument("--nltk", required=True)
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--objects", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("captions", nargs="+")
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    oracle = load_module("oracle", os.path.join(here, "make_eval_nltk_oracle.py"))
    root = tempfile.mkdtemp(prefix="nltk_data_")
    oracle.build_nltk_data(args.nltk, args.wordnet, root)
    import nltk
    nltk.data.path.insert(0, root)
    assert nltk.__version__ == "3.8.1", nltk.__version__

    sys.argv = [sys.argv[0]]
    chair = load_module("opera_chair", os.path.join(args.opera, "chair.py"))
    chair.CHAIR.get_annotations = lambda self: None  # ground truth comes from --objects
    evaluator = chair.CHAIR(coco_path="unused")
    with open(args.objects) as f:
        truth = json.load(f)
    evaluator.imid_to_objects = defaultdict(list, {int(k): set(v) for k, v in truth.items()})

    for path in args.captions:
        name = os.path.splitext(os.path.basename(path))[0]
        out = evaluator.compute_chair(path, "image_id", "caption")
        counts = defaultdict(int)
        lines = []
        for i, s in enumerate(out["sentences"]):
            words, node_words, _, raw_words = evaluator.caption_to_words(s["caption"])
            hallucinated = [node for _, node in s["mscoco_hallucinated_words"]]
            gt = set(s["mscoco_gt_words"])
            counts["num_captions"] += 1
            counts["num_hallucinated_captions"] += s["metrics"]["CHAIRs"]
            counts["num_object_mentions"] += len(node_words)
            counts["num_hallucinated_mentions"] += len(hallucinated)
            counts["num_gt_objects"] += len(gt)
            counts["num_recalled_gt_objects"] += len(set(node_words) & gt)
            counts["num_tokens"] += len(raw_words)
            lines.append(json.dumps({
                "file": name, "line": i, "image_id": s["image_id"], "object_words": words,
                "mentions": node_words, "hallucinated": hallucinated,
                "chair_s": s["metrics"]["CHAIRs"], "num_tokens": len(raw_words),
            }))
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        summary = {
            "file": os.path.basename(path),
            "sha256": digest,
            "recomputed": {
                "CHAIR_s": out["overall_metrics"]["CHAIRs"],
                "CHAIR_i": out["overall_metrics"]["CHAIRi"],
                "Recall": out["overall_metrics"]["Recall"],
                "Len": out["overall_metrics"]["Len"],
            },
            "counts": dict(counts),
        }
        with open(os.path.join(args.out, "expected_%s.json" % name), "w") as f:
            json.dump(summary, f, indent=1)
        with open(os.path.join(args.out, "expected_per_caption_%s.jsonl" % name), "w") as f:
            f.write("\n".join(lines) + "\n")
        print(name, summary["recomputed"])


if __name__ == "__main__":
    main()
