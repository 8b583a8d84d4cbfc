#!/usr/bin/env python3
"""Golden pixel values of the three family image processors on real photos
(Tests/LucidModelsTests/Fixtures/photo-processors/).

The conformance fixtures of LLaVA-NeXT, Qwen2-VL and InstructBLIP use small synthetic images; this script
runs transformers' PIL-backend processors (pinned in scripts/requirements-bench.txt) on the three real
photos of Tests/LucidVisionTests/Fixtures/photos (a 640x427 JPEG, a progressive JPEG and a 200x300 PNG),
so resampling is exercised on photographic content and large downscales. Each processor keeps the
structure of the released configuration at a reduced scale, so the committed tensors stay small:
- LLaVA-NeXT: `llava-v1.6` geometry divided by 6 (shortest edge and crop 56, pinpoints 56 x {1,2,3} pairs);
- Qwen2-VL: the released patch/merge sizes with `longest_edge` 28*28*16 (at most 64 patches);
- InstructBLIP: `BlipImageProcessor` with the released OpenAI CLIP mean/std at 64x64.

Run from the repository root:  .venv-bench/bin/python scripts/make_photo_processor_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

PHOTOS = os.path.join("Tests", "LucidVisionTests", "Fixtures", "photos")
OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "photo-processors")
NAMES = ["rocket.jpg", "coffee_progressive.jpg", "chelsea_crop.png"]
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    processors = {
        "llava-next": LlavaNextImageProcessorPil(
            size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56},
            image_grid_pinpoints=[[56, 112], [112, 56], [112, 112], [168, 56], [56, 168]],
            image_mean=CLIP_MEAN, image_std=CLIP_STD),
        "qwen2-vl": Qwen2VLImageProcessorPil(size={"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 16}),
        "blip": BlipImageProcessorPil(size={"height": 64, "width": 64}, image_mean=CLIP_MEAN, image_std=CLIP_STD),
    }
    golden = {}
    for family, processor in processors.items():
        os.makedirs(os.path.join(OUT, family), exist_ok=True)
        processor.save_pretrained(os.path.join(OUT, family))
        for name in NAMES:
            image = Image.open(os.path.join(PHOTOS, name)).convert("RGB")
            out = processor(images=image, return_tensors="pt")
            golden[f"{family}.{name}.pixel_values"] = out["pixel_values"][0].contiguous() if family != "qwen2-vl" \
                else out["pixel_values"].contiguous()
            if "image_sizes" in out:
                golden[f"{family}.{name}.image_sizes"] = out["image_sizes"][0].contiguous()
            if "image_grid_thw" in out:
                golden[f"{family}.{name}.image_grid_thw"] = out["image_grid_thw"][0].contiguous()
            print(family, name, tuple(golden[f"{family}.{name}.pixel_values"].shape), file=sys.stderr)
    save_file(golden, os.path.join(OUT, "golden.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})


if __name__ == "__main__":
    main()
