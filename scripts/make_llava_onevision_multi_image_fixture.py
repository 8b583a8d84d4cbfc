#!/usr/bin/env python3
"""A two-image LLaVA-OneVision prompt for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/llava-onevision/multi_image.safetensors).

transformers treats the images of a prompt with more than one differently from a lone image: the processor
counts `batch_num_images`, gives each image `num_image_tokens + 1` placeholders, and the model encodes only
each image's base tile (`pixel_values[i, :1]`, no anyres tiles) followed by `image_newline`. This script
loads the committed tiny checkpoint (`model/`, fp32, eager attention) and its image processor, runs the
processor on `wide.png` and `tall.png` as one sample, and records:
- `pixel_values` [2, tiles, 3, 32, 32], `image_sizes` [2, 2], `batch_num_images` [1] (the processor's);
- `input_ids`: a prompt with one placeholder per image, `expanded_input_ids` with the processor's counts;
- `image_features` (each image's packed features, concatenated), `logits` and 8 `greedy` tokens.

Run from the repository root:  .venv-bench/bin/python scripts/make_llava_onevision_multi_image_fixture.py
"""
import os
import sys

import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.llava_onevision.image_processing_pil_llava_onevision import LlavaOnevisionImageProcessorPil

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llava-onevision")
IMAGE_TOKEN = 149


def main():
    model_dir = os.path.join(OUT, "model")
    processor = LlavaOnevisionImageProcessorPil.from_pretrained(model_dir)
    images = [Image.open(os.path.join(OUT, f"{name}.png")).convert("RGB") for name in ("wide", "tall")]
    out = processor(images=[images], return_tensors="pt")
    assert out["batch_num_images"].tolist() == [2], out["batch_num_images"]
    model = transformers.LlavaOnevisionForConditionalGeneration.from_pretrained(model_dir, attn_implementation="eager").eval()
    vision = model.config.vision_config
    count = (vision.image_size // vision.patch_size) ** 2 + 1  # the processor's num_image_tokens + 1 (newline); `full`
    prompt = [1, 17, IMAGE_TOKEN, 33, 21, IMAGE_TOKEN, 45, 12, 60, 7]
    expanded = []
    for token in prompt:
        expanded += [IMAGE_TOKEN] * count if token == IMAGE_TOKEN else [token]
    inputs = dict(pixel_values=out["pixel_values"], image_sizes=out["image_sizes"], batch_num_images=out["batch_num_images"])
    ids = torch.tensor([expanded])
    with torch.no_grad():
        features = model.model.get_image_features(**inputs, vision_aspect_ratio=model.config.vision_aspect_ratio).pooler_output
        assert [f.shape[0] for f in features] == [count, count], [f.shape for f in features]
        logits = model(input_ids=ids, **inputs, use_cache=False).logits
        greedy = model.generate(input_ids=ids, **inputs, max_new_tokens=8, do_sample=False, num_beams=1,
                                eos_token_id=None, pad_token_id=0)[:, ids.shape[1]:]
    record = {"pixel_values": out["pixel_values"], "image_sizes": out["image_sizes"], "batch_num_images": out["batch_num_images"],
              "input_ids": torch.tensor([prompt]), "expanded_input_ids": ids, "image_features": torch.cat(list(features)),
              "logits": logits, "greedy": greedy}
    save_file({k: v.contiguous() for k, v in record.items()}, os.path.join(OUT, "multi_image.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print(f"pixel_values {list(out['pixel_values'].shape)}, {count} features an image, greedy {greedy.tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
