#!/usr/bin/env python3
"""A two-image LLaVA-OneVision or LLaVA-NeXT prompt for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/{llava-onevision,llava-next}/multi_image.safetensors).

transformers treats the images of a prompt with more than one differently from a lone image: the processor
counts `batch_num_images`, gives each image `num_image_tokens + 1` placeholders, and the model encodes only
each image's base tile (`pixel_values[i, :1]`, no anyres tiles) followed by `image_newline`. LLaVA-NeXT treats
every image as a lone one: anyres tiles at its own size (`image_sizes`), the processor padding the shorter
stacks with zero tiles to the longest, and the model dropping them again. This script loads the
committed tiny checkpoint (`model/`, fp32, eager attention) and its image processor, runs the processor on
`wide.png` and `tall.png` as one sample, and records:
- `pixel_values` [2, tiles, 3, 32, 32], `image_sizes` [2, 2], and OneVision's `batch_num_images` [2]
  (the processor's);
- `input_ids`: a prompt with one placeholder per image, `expanded_input_ids` with the processor's counts;
- `image_features` (each image's packed features, concatenated), `logits` and 8 `greedy` tokens.

Run from the repository root:  .venv-bench/bin/python scripts/make_llava_onevision_multi_image_fixture.py [llava-next]
"""
import os
import sys

import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from transformers.models.llava_onevision.image_processing_pil_llava_onevision import LlavaOnevisionImageProcessorPil

from fixture_common import expand_placeholders

IMAGE_TOKEN = 149
FAMILIES = {"llava-onevision": (LlavaOnevisionImageProcessorPil, transformers.LlavaOnevisionForConditionalGeneration),
            "llava-next": (LlavaNextImageProcessorPil, transformers.LlavaNextForConditionalGeneration)}


def main():
    family = sys.argv[1] if len(sys.argv) > 1 else "llava-onevision"
    processor_class, model_class = FAMILIES[family]
    out_dir = os.path.join("Tests", "LucidModelsTests", "Fixtures", family)
    model_dir = os.path.join(out_dir, "model")
    processor = processor_class.from_pretrained(model_dir)
    images = [Image.open(os.path.join(out_dir, f"{name}.png")).convert("RGB") for name in ("wide", "tall")]
    out = processor(images=[images], return_tensors="pt")
    model = model_class.from_pretrained(model_dir, attn_implementation="eager").eval()
    inputs = dict(pixel_values=out["pixel_values"], image_sizes=out["image_sizes"])
    if family == "llava-onevision":
        assert out["batch_num_images"].tolist() == [2], out["batch_num_images"]
        inputs["batch_num_images"] = out["batch_num_images"]
        vision = model.config.vision_config
        counts = [(vision.image_size // vision.patch_size) ** 2 + 1] * 2  # the processor's num_image_tokens + 1 (newline); `full`
        with torch.no_grad():
            features = model.model.get_image_features(**inputs, vision_aspect_ratio=model.config.vision_aspect_ratio).pooler_output
    else:
        with torch.no_grad():
            features = model.model.get_image_features(**inputs).pooler_output
        counts = [f.shape[0] for f in features]
    assert [f.shape[0] for f in features] == counts, [f.shape for f in features]
    prompt = [1, 17, IMAGE_TOKEN, 33, 21, IMAGE_TOKEN, 45, 12, 60, 7]
    expanded = expand_placeholders(prompt, IMAGE_TOKEN, counts)
    ids = torch.tensor([expanded])
    with torch.no_grad():
        logits = model(input_ids=ids, **inputs, use_cache=False).logits
        greedy = model.generate(input_ids=ids, **inputs, max_new_tokens=8, do_sample=False, num_beams=1,
                                eos_token_id=None, pad_token_id=0)[:, ids.shape[1]:]
    record = dict(inputs, input_ids=torch.tensor([prompt]), expanded_input_ids=ids, image_features=torch.cat(list(features)),
                  logits=logits, greedy=greedy)
    save_file({k: v.contiguous() for k, v in record.items()}, os.path.join(out_dir, "multi_image.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print(f"pixel_values {list(out['pixel_values'].shape)}, image_sizes {out['image_sizes'].tolist()}, features {counts}, "
          f"greedy {greedy.tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
