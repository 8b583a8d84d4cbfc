#!/usr/bin/env python3
"""A two-image Qwen2-VL or Qwen2.5-VL prompt for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/{qwen2-vl,qwen2.5-vl}/multi_image.safetensors).

With several images in one prompt, Qwen2-VL's processor concatenates each image's flattened patches
(`pixel_values` [N1 + N2, C·T·P·P]) and stacks their grids (`image_grid_thw` [2, 3]); the model encodes
each image on its own grid, and M-RoPE gives the text after each image positions that continue from the
largest position of that image (`get_rope_index`). This script loads the committed tiny checkpoint
(`model/`, fp32, eager attention) and its image processor, runs the processor on two of the folder's
images as one sample (Qwen2-VL: `wide.png`, `tall.png`; Qwen2.5-VL: `large.png`, whose grid spans
several attention windows, and `wide.png`), and records:
- `pixel_values`, `image_grid_thw` (the processor's);
- `input_ids`: a prompt with one `<|image_pad|>` per image, `expanded_input_ids` with the processor's counts;
- `image_features` (both images' merged features, concatenated), `position_ids` [3, T] and
  `rope_delta`, `logits` and 8 `greedy` tokens.

Run from the repository root:  .venv-bench/bin/python scripts/make_qwen2_vl_multi_image_fixture.py [qwen2.5-vl]
"""
import os
import sys

import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from fixture_common import expand_placeholders

IMAGE_TOKEN, VISION_START, VISION_END = 140, 141, 142
FAMILIES = {"qwen2-vl": (transformers.Qwen2VLForConditionalGeneration, ("wide", "tall")),
            "qwen2.5-vl": (transformers.Qwen2_5_VLForConditionalGeneration, ("large", "wide"))}


def main():
    family = sys.argv[1] if len(sys.argv) > 1 else "qwen2-vl"
    model_class, names = FAMILIES[family]
    out_dir = os.path.join("Tests", "LucidModelsTests", "Fixtures", family)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    model_dir = os.path.join(out_dir, "model")
    processor = Qwen2VLImageProcessorPil.from_pretrained(model_dir)
    images = [Image.open(os.path.join(out_dir, f"{name}.png")).convert("RGB") for name in names]
    out = processor(images=images, return_tensors="pt")
    grids = out["image_grid_thw"]
    assert grids.shape == (2, 3), grids
    model = model_class.from_pretrained(model_dir, attn_implementation="eager").eval()
    counts = [int(g.prod()) // 4 for g in grids]
    prompt = [1, 17, VISION_START, IMAGE_TOKEN, VISION_END, 33, 21, VISION_START, IMAGE_TOKEN, VISION_END, 45, 12, 60, 7]
    expanded = expand_placeholders(prompt, IMAGE_TOKEN, counts)
    ids = torch.tensor([expanded])
    mm = (ids == IMAGE_TOKEN).int()
    inputs = dict(pixel_values=out["pixel_values"], image_grid_thw=grids, mm_token_type_ids=mm)
    with torch.no_grad():
        features = model.model.get_image_features(pixel_values=out["pixel_values"], image_grid_thw=grids).pooler_output
        assert [f.shape[0] for f in features] == counts, [f.shape for f in features]
        positions, deltas = model.model.get_rope_index(ids, mm_token_type_ids=mm, image_grid_thw=grids)
        logits = model(input_ids=ids, **inputs, use_cache=False).logits
        greedy = model.generate(input_ids=ids, **inputs, max_new_tokens=8, do_sample=False, num_beams=1,
                                eos_token_id=None, pad_token_id=0)[:, ids.shape[1]:]
    record = {"pixel_values": out["pixel_values"], "image_grid_thw": grids, "input_ids": torch.tensor([prompt]),
              "expanded_input_ids": ids, "image_features": torch.cat(list(features)), "position_ids": positions[:, 0],
              "rope_delta": deltas.reshape(1), "logits": logits, "greedy": greedy}
    save_file({k: v.contiguous() for k, v in record.items()}, os.path.join(out_dir, "multi_image.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print(f"grids {grids.tolist()}, features {counts}, delta {deltas.item()}, greedy {greedy.tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
