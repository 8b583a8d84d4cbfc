#!/usr/bin/env python3
"""Golden POPE question sets for LucidEval's tests, built by POPE's own code.

Converts an object-list file {"<image_id>": [objects…]} (file order kept) into POPE's
segmentation format ({"image": "COCO_val2014_<id:012d>.jpg", "objects": […]} per line), seeds
Python's `random`, and runs `main()` of RUCAIBox/POPE's main.py (imported from a local checkout,
not copied) with --img_num/--sample_num, writing <dataset>_pope_{random,popular,adversarial}.json.

Usage:
  python scripts/make_pope_oracle.py --pope /path/to/POPE --objects OBJECTS.json \
      --seed 2023 --img-num 60 --dataset coco_oracle --out Tests/LucidEvalTests/Fixtures/pope
"""
import argparse
import json
import os
import random
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pope", required=True, help="checkout of RUCAIBox/POPE (main.py and utils.py)")
    ap.add_argument("--objects", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--img-num", type=int, required=True)
    ap.add_argument("--sample-num", type=int, default=3)
    ap.add_argument("--dataset", default="oracle")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.objects) as f:
        objects = json.load(f)
    work = tempfile.mkdtemp(prefix="pope_oracle_")
    seg = os.path.join(work, "segmentation.jsonl")
    with open(seg, "w") as f:
        for image_id, names in objects.items():
            f.write(json.dumps({"image": "COCO_val2014_%012d.jpg" % int(image_id), "objects": names}) + "\n")

    sys.path.insert(0, args.pope)
    import main as pope_main  # POPE's main.py

    sys.argv = ["main.py", "--seg_path", seg, "--img_num", str(args.img_num), "--sample_num", str(args.sample_num),
                "--dataset", args.dataset, "--save_path", work]
    random.seed(args.seed)
    pope_main.main()
    os.makedirs(args.out, exist_ok=True)
    for strategy in ("random", "popular", "adversarial"):
        name = "%s_pope_%s.json" % (args.dataset, strategy)
        with open(os.path.join(work, args.dataset, name)) as src, open(os.path.join(args.out, name), "w") as dst:
            dst.write(src.read())
        print(name)


if __name__ == "__main__":
    main()
