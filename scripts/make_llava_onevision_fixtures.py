#!/usr/bin/env python3
"""Golden tensors for Lucid's LLaVA-OneVision conformance tests (Tests/LucidModelsTests/Fixtures/llava-onevision/).

Builds a tiny random `LlavaOnevisionForConditionalGeneration` with transformers (pinned in
scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager attention) — a SigLIP tower
without its pooling head, a Qwen2 decoder (q/k/v biases) — and records:
- the image processor: `LlavaOnevisionImageProcessorPil` (the PIL backend) on five PNG images of
  different aspect ratios — `pixel_values` (base image first, then the tiles of the best grid
  pinpoint) and `image_sizes`;
- the model on four prompts: the packed image features (anyres tiling, unpadding, the `anyres_max_N`
  bilinear downsizing of a grid with more than N tiles' worth of patches, `image_newline`), the LLM
  logits and hidden states, 8 greedy tokens and a 3-beam search (6 tokens, EOS 2, early stopping). `vision_aspect_ratio` is `anyres_max_1` so that
  the downsizing runs on these small images (`tile`, one tile's worth, keeps its grid);
- the released models' geometry (SigLIP 384 px / 14 px patches, 384-px pinpoints up to 6 × 6 tiles,
  `anyres_max_9`, every key at transformers' default): the feature count `pack_image_features` gives
  an image of each of 225 sizes (1 to 4,000 px a side), in `feature_counts.json`.

Run from the repository root:  .venv-bench/bin/python scripts/make_llava_onevision_fixtures.py
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers.models.llava_onevision.image_processing_pil_llava_onevision import LlavaOnevisionImageProcessorPil

from fixture_common import eager, randomize, record, tiny_siglip_qwen2
from make_llava_next_fixtures import make_image  # the same test pattern

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llava-onevision")
IMAGE_TOKEN = 149
PINPOINTS = [[32, 32], [32, 64], [64, 32], [64, 64], [32, 96], [96, 32], [96, 96]]
# (width, height): wide, tall, square, very wide, exactly one tile.
IMAGE_SIZES = {"wide": (50, 30), "tall": (23, 61), "square": (40, 40), "strip": (100, 27), "tile": (32, 32)}
PROMPTS = ("wide", "tall", "square", "tile")


SIDES = [1, 7, 100, 383, 384, 385, 480, 640, 720, 1000, 1080, 1920, 2304, 3000, 4000]


def write_feature_counts():
    """The packed feature count of the released geometry for every height × width in SIDES²."""
    vision = transformers.SiglipVisionConfig(hidden_size=8, intermediate_size=8, num_hidden_layers=1, num_attention_heads=1,
                                             image_size=384, patch_size=14, vision_use_head=False)
    text = transformers.Qwen2Config(vocab_size=8, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                                    num_attention_heads=1, num_key_value_heads=1)
    config = transformers.LlavaOnevisionConfig(vision_config=vision, text_config=text)
    model = transformers.models.llava_onevision.modeling_llava_onevision.LlavaOnevisionModel(config).eval()
    tiles = transformers.models.llava_onevision.modeling_llava_onevision.image_size_to_num_patches
    side = (384 // 14) ** 2
    counts = []
    with torch.no_grad():
        for height in SIDES:
            for width in SIDES:
                n = tiles(image_size=(height, width), grid_pinpoints=config.image_grid_pinpoints, patch_size=384)
                _, lengths = model.pack_image_features([torch.zeros(n, side, 8)], torch.tensor([[height, width]]),
                                                       image_newline=model.image_newline,
                                                       vision_aspect_ratio=config.vision_aspect_ratio)
                counts.append({"height": height, "width": width, "tiles": n, "features": int(lengths[0])})
    with open(os.path.join(OUT, "feature_counts.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "vision_aspect_ratio": config.vision_aspect_ratio,
                   "counts": counts}, f, indent=0)
        f.write("\n")


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    metadata = {"transformers": transformers.__version__, "torch": torch.__version__}
    processor = LlavaOnevisionImageProcessorPil(size={"height": 32, "width": 32}, image_grid_pinpoints=PINPOINTS,
                                                image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor.save_pretrained(os.path.join(OUT, "model"))
    golden = {}
    for index, (name, (width, height)) in enumerate(IMAGE_SIZES.items()):
        image = make_image(width, height, 500 + index)
        image.save(os.path.join(OUT, f"{name}.png"))
        out = processor(images=image, return_tensors="pt")
        golden[f"processor.{name}.pixel_values"] = out["pixel_values"][0]
        golden[f"processor.{name}.image_sizes"] = out["image_sizes"][0]

    torch.manual_seed(5151)
    vision, text = tiny_siglip_qwen2()
    config = eager(transformers.LlavaOnevisionConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN,
                                                     image_grid_pinpoints=PINPOINTS, vision_aspect_ratio="anyres_max_1"))
    model = transformers.LlavaOnevisionForConditionalGeneration(config).eval()
    randomize(model)
    model.save_pretrained(os.path.join(OUT, "model"), safe_serialization=True)

    prompt = [1, 17, 33, IMAGE_TOKEN, 45, 12, 60, 7]
    for name in PROMPTS:
        inputs = dict(pixel_values=golden[f"processor.{name}.pixel_values"].unsqueeze(0),
                      image_sizes=golden[f"processor.{name}.image_sizes"].unsqueeze(0))
        with torch.no_grad():
            features = model.model.get_image_features(**inputs, vision_aspect_ratio=config.vision_aspect_ratio).pooler_output[0]
        golden[f"{name}.image_features"] = features
        record(golden, name, model, prompt, IMAGE_TOKEN, features.shape[0], inputs)
        print(f"{name}: {features.shape[0]} image features, greedy {golden[f'{name}.greedy'].tolist()}, "
              f"beam {golden[f'{name}.beam3'].tolist()}", file=sys.stderr)
    write_feature_counts()
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata=metadata)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# LLaVA-OneVision conformance fixtures\n\n"
                f"Generated by `scripts/make_llava_onevision_fixtures.py` with transformers {transformers.__version__} and "
                f"torch {torch.__version__} (fp32, eager attention).\n"
                "`model/` is a tiny random `LlavaOnevisionForConditionalGeneration` as `save_pretrained` writes it\n"
                "(SigLIP tower 32 px / 8 px patches without its head, Qwen2 decoder, grid pinpoints 32x32 … 96x96,\n"
                "`vision_aspect_ratio` anyres_max_1) with its `preprocessor_config.json` (`LlavaOnevisionImageProcessorPil`,\n"
                "mean and std 0.5). `wide.png`, `tall.png`, `square.png`, `strip.png` and `tile.png` are the processor's\n"
                "inputs; `golden.safetensors` holds `processor.<image>.pixel_values` [tiles, 3, 32, 32] and\n"
                "`.image_sizes` (height, width), and for `wide`, `tall`, `square` and `tile`: the packed `image_features`,\n"
                "`input_ids` (one placeholder), `logits` and `hidden_states.<i>` of the prompt with the placeholder\n"
                "expanded, 8 `greedy` tokens and `beam3` (3 beams, 6 tokens, EOS 2, early stopping).\n"
                "`feature_counts.json`: the packed feature count (and tile count, base tile included) of the released\n"
                "models' geometry at transformers' defaults for 225 image sizes.\n\n"
                "`multi_image.safetensors` (scripts/make_llava_onevision_multi_image_fixture.py): `wide.png` and `tall.png` as\n"
                "one sample, the processor's `pixel_values` [2, tiles, 3, 32, 32], `image_sizes` and `batch_num_images`, `input_ids`\n"
                "(one placeholder per image) and `expanded_input_ids`, both images' `image_features`, `logits` and 8 `greedy` tokens.\n")


if __name__ == "__main__":
    main()
