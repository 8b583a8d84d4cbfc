#!/usr/bin/env python3
"""Golden tensors for Lucid's Qwen2-VL conformance tests (Tests/LucidModelsTests/Fixtures/qwen2-vl/).

Builds a tiny random `Qwen2VLForConditionalGeneration` with transformers (pinned in
scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager attention) and records:
- the image processor: `Qwen2VLImageProcessorPil` (PIL backend) on three PNG images — `smart_resize`
  to multiples of patch × merge, flattened patches [N, C·2·14·14] and `image_grid_thw`;
- the model on two prompts (one image each, `<|vision_start|><|image_pad|><|vision_end|>`): the
  merged image features, the M-RoPE position ids, LLM logits and hidden states, and 8 greedy tokens.

Run from the repository root:  .venv-bench/bin/python scripts/make_qwen2_vl_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "qwen2-vl")
IMAGE_TOKEN, VISION_START, VISION_END = 140, 141, 142
# (width, height)
IMAGE_SIZES = {"wide": (90, 50), "tall": (37, 75), "small": (20, 20)}


def make_image(width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + y) * 7) % 256], axis=-1)
    noise = rng.integers(-40, 41, size=base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    # Small pixel budgets so images stay a few dozen patches: factor 28, between 28*28 and 28*28*12 pixels.
    processor = Qwen2VLImageProcessorPil(size={"shortest_edge": 28 * 28, "longest_edge": 28 * 28 * 12})
    processor.save_pretrained(os.path.join(OUT, "model"))
    golden = {}
    for index, (name, (width, height)) in enumerate(IMAGE_SIZES.items()):
        image = make_image(width, height, 500 + index)
        image.save(os.path.join(OUT, f"{name}.png"))
        out = processor(images=image, return_tensors="pt")
        golden[f"processor.{name}.pixel_values"] = out["pixel_values"]
        golden[f"processor.{name}.image_grid_thw"] = out["image_grid_thw"]

    torch.manual_seed(5151)
    vision = dict(depth=2, embed_dim=32, hidden_size=48, hidden_act="quick_gelu", mlp_ratio=2, num_heads=4,
                  in_channels=3, patch_size=14, spatial_merge_size=2, temporal_patch_size=2)
    text = dict(vocab_size=150, hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, rms_norm_eps=1e-6, max_position_embeddings=512, bos_token_id=1,
                eos_token_id=2, rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                 "mrope_section": [2, 3, 1]})
    config = transformers.Qwen2VLConfig(vision_config=vision, text_config=text, image_token_id=IMAGE_TOKEN,
                                        video_token_id=143, vision_start_token_id=VISION_START,
                                        vision_end_token_id=VISION_END)
    config._attn_implementation = "eager"
    config.text_config._attn_implementation = "eager"
    config.vision_config._attn_implementation = "eager"
    model = transformers.Qwen2VLForConditionalGeneration(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if ("norm" in pname or "ln_q" in pname) and pname.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(os.path.join(OUT, "model"), safe_serialization=True)

    for name in ("wide", "tall"):
        pixel_values = golden[f"processor.{name}.pixel_values"]
        grid = golden[f"processor.{name}.image_grid_thw"]
        count = int(grid.prod()) // 4
        prompt = [1, 17, 33, VISION_START, IMAGE_TOKEN, VISION_END, 45, 12, 60, 7]
        at = prompt.index(IMAGE_TOKEN)
        expanded = torch.tensor([prompt[:at] + [IMAGE_TOKEN] * count + prompt[at + 1:]])
        mm = (expanded == IMAGE_TOKEN).int()
        with torch.no_grad():
            features = model.model.get_image_features(pixel_values=pixel_values, image_grid_thw=grid).pooler_output[0]
            positions, deltas = model.model.get_rope_index(expanded, mm_token_type_ids=mm, image_grid_thw=grid)
            out = model(input_ids=expanded, pixel_values=pixel_values, image_grid_thw=grid, mm_token_type_ids=mm,
                        output_hidden_states=True, use_cache=False)
            greedy = model.generate(input_ids=expanded, pixel_values=pixel_values, image_grid_thw=grid,
                                    mm_token_type_ids=mm, max_new_tokens=8, do_sample=False, num_beams=1,
                                    eos_token_id=None, pad_token_id=0)
        golden[f"{name}.image_features"] = features
        golden[f"{name}.input_ids"] = torch.tensor([prompt])
        golden[f"{name}.position_ids"] = positions[:, 0]
        golden[f"{name}.rope_delta"] = deltas.reshape(1)
        golden[f"{name}.logits"] = out.logits
        for layer, hidden in enumerate(out.hidden_states):
            golden[f"{name}.hidden_states.{layer}"] = hidden
        golden[f"{name}.greedy"] = greedy[:, expanded.shape[1]:]
        print(f"{name}: grid {grid.tolist()}, {count} features, delta {deltas.item()}, greedy {golden[f'{name}.greedy'].tolist()}",
              file=sys.stderr)
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Qwen2-VL conformance fixtures\n\n"
                f"Generated by `scripts/make_qwen2_vl_fixtures.py` with transformers {transformers.__version__} and "
                f"torch {torch.__version__} (fp32, eager attention).\n"
                "`model/` is a tiny random `Qwen2VLForConditionalGeneration` as `save_pretrained` writes it (vision: 2\n"
                "blocks of width 32, 14-px patches, temporal patch 2, 2x2 merger; text: Qwen2 decoder with M-RoPE\n"
                "sections [2, 3, 1]) and its `preprocessor_config.json` (`Qwen2VLImageProcessorPil`, 784 to 9,408\n"
                "pixels). `wide.png`, `tall.png`, `small.png` are the processor's inputs; `golden.safetensors` holds\n"
                "`processor.<image>.pixel_values` / `.image_grid_thw`, and for `wide` and `tall`: `image_features`,\n"
                "`input_ids` (one `<|image_pad|>`), `position_ids` [3, T] and `rope_delta` of the expanded prompt,\n"
                "`logits`, `hidden_states.<i>` and 8 `greedy` tokens.\n\n"
                "`multi_image.safetensors` (scripts/make_qwen2_vl_multi_image_fixture.py, same transformers and torch): `wide.png` and\n"
                "`tall.png` as one sample, the processor's `pixel_values` and `image_grid_thw` [2, 3], `input_ids` (one\n"
                "`<|image_pad|>` per image) and `expanded_input_ids`, both images' `image_features`, `position_ids` [3, T],\n"
                "`rope_delta`, `logits` and 8 `greedy` tokens.\n")


if __name__ == "__main__":
    main()
