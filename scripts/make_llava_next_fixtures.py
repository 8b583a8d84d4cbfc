#!/usr/bin/env python3
"""Golden tensors for Lucid's LLaVA-NeXT conformance tests (Tests/LucidModelsTests/Fixtures/llava-next/).

Builds a tiny random `LlavaNextForConditionalGeneration` with transformers (pinned in
scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager attention) and records:
- the image processor: `LlavaNextImageProcessorPil` (the PIL backend, what transformers 4.x called the
  slow `LlavaNextImageProcessor`) on four PNG images of different aspect ratios — `pixel_values`
  (base image first, then the tiles of the best grid pinpoint) and `image_sizes`;
- the model on two prompts (a wide and a tall image): the packed image features (anyres tiling,
  unpadding, `image_newline`), the LLM logits and hidden states, and 8 greedy tokens.

Run from the repository root:  .venv-bench/bin/python scripts/make_llava_next_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llava-next")
IMAGE_TOKEN = 149
PINPOINTS = [[32, 64], [64, 32], [64, 64], [32, 96], [96, 32]]
# (width, height): wide, tall, square, very wide.
IMAGE_SIZES = {"wide": (50, 30), "tall": (23, 61), "square": (40, 40), "strip": (100, 27)}


def make_image(width, height, seed):
    """A smooth pattern plus noise, so resizing is exercised on structure, not only on noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + y) * 7) % 256], axis=-1)
    noise = rng.integers(-40, 41, size=base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    metadata = {"transformers": transformers.__version__, "torch": torch.__version__}
    processor = LlavaNextImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                                           image_grid_pinpoints=PINPOINTS)
    processor.save_pretrained(os.path.join(OUT, "model"))
    golden = {}
    images = {}
    for index, (name, (width, height)) in enumerate(IMAGE_SIZES.items()):
        image = make_image(width, height, 300 + index)
        image.save(os.path.join(OUT, f"{name}.png"))
        images[name] = image
        out = processor(images=image, return_tensors="pt")
        golden[f"processor.{name}.pixel_values"] = out["pixel_values"][0]
        golden[f"processor.{name}.image_sizes"] = out["image_sizes"][0]

    torch.manual_seed(4242)
    vision = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                           num_attention_heads=4, image_size=32, patch_size=8,
                                           hidden_act="quick_gelu", layer_norm_eps=1e-5)
    text = transformers.LlamaConfig(vocab_size=150, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                                    rope_theta=10000.0, max_position_embeddings=512, bos_token_id=1,
                                    eos_token_id=2, pad_token_id=0)
    config = transformers.LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN,
                                          image_grid_pinpoints=PINPOINTS, vision_feature_layer=-2,
                                          vision_feature_select_strategy="default", projector_hidden_act="gelu")
    config._attn_implementation = "eager"
    config.text_config._attn_implementation = "eager"
    config.vision_config._attn_implementation = "eager"
    model = transformers.LlavaNextForConditionalGeneration(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname and pname.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(os.path.join(OUT, "model"), safe_serialization=True)

    prompt = [1, 17, 33, IMAGE_TOKEN, 45, 12, 60, 7]
    for name in ("wide", "tall"):
        pixel_values = golden[f"processor.{name}.pixel_values"].unsqueeze(0)
        image_sizes = golden[f"processor.{name}.image_sizes"].unsqueeze(0)
        with torch.no_grad():
            features = model.model.get_image_features(pixel_values=pixel_values, image_sizes=image_sizes,
                                                      vision_feature_layer=-2,
                                                      vision_feature_select_strategy="default").pooler_output[0]
            count = features.shape[0]
            at = prompt.index(IMAGE_TOKEN)
            expanded = torch.tensor([prompt[:at] + [IMAGE_TOKEN] * count + prompt[at + 1:]])
            out = model(input_ids=expanded, pixel_values=pixel_values, image_sizes=image_sizes,
                        output_hidden_states=True, use_cache=False)
            greedy = model.generate(input_ids=expanded, pixel_values=pixel_values, image_sizes=image_sizes,
                                    max_new_tokens=8, do_sample=False, num_beams=1, eos_token_id=None,
                                    pad_token_id=0)
        golden[f"{name}.image_features"] = features
        golden[f"{name}.input_ids"] = torch.tensor([prompt])
        golden[f"{name}.logits"] = out.logits
        for layer, hidden in enumerate(out.hidden_states):
            golden[f"{name}.hidden_states.{layer}"] = hidden
        golden[f"{name}.greedy"] = greedy[:, expanded.shape[1]:]
        print(f"{name}: {count} image features, greedy {golden[f'{name}.greedy'].tolist()}", file=sys.stderr)
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata=metadata)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# LLaVA-NeXT conformance fixtures\n\n"
                f"Generated by `scripts/make_llava_next_fixtures.py` with transformers {transformers.__version__} and "
                f"torch {torch.__version__} (fp32, eager attention).\n"
                "`model/` is a tiny random `LlavaNextForConditionalGeneration` as `save_pretrained` writes it (CLIP\n"
                "tower 32 px / 8 px patches, Llama decoder, grid pinpoints 32x64, 64x32, 64x64, 32x96, 96x32) with its\n"
                "`preprocessor_config.json` (`LlavaNextImageProcessorPil`). `wide.png`, `tall.png`, `square.png` and\n"
                "`strip.png` are the processor's inputs; `golden.safetensors` holds `processor.<image>.pixel_values`\n"
                "[tiles, 3, 32, 32] and `.image_sizes` (height, width), and for `wide` and `tall`: the packed\n"
                "`image_features`, `input_ids` (one placeholder), `logits` and `hidden_states.<i>` of the prompt with\n"
                "the placeholder expanded, and 8 `greedy` tokens.\n\n"
                "`multi_image.safetensors` (scripts/make_llava_onevision_multi_image_fixture.py llava-next): `wide.png` and\n"
                "`tall.png` as one sample, the processor's `pixel_values` [2, tiles, 3, 32, 32] and `image_sizes`, `input_ids`\n"
                "(one placeholder per image) and `expanded_input_ids`, both images' `image_features`, `logits` and 8 `greedy` tokens.\n")


if __name__ == "__main__":
    main()
