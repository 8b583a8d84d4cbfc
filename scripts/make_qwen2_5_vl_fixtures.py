#!/usr/bin/env python3
"""Golden tensors for Lucid's Qwen2.5-VL conformance tests (Tests/LucidModelsTests/Fixtures/qwen2.5-vl/).

Builds a tiny random `Qwen2_5_VLForConditionalGeneration` with transformers (pinned in
scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager attention). The tower has
4 blocks, windows of 2 x 2 merged patches (`window_size` 56 with 14-px patches and a 2 x 2 merge) and
full attention in blocks 1 and 3, so windowed and full blocks alternate. Records, for three images whose
merged grids are 2 x 3 and 3 x 5 (not multiples of the window: padded windows) and 2 x 2 (a multiple):
- the processor's patches and grid (`Qwen2VLImageProcessorPil`, the processor Qwen2.5-VL ships);
- the merged image features, the window order (`window_index`) and window boundaries;
- on a prompt with the image (`<|vision_start|><|image_pad|><|vision_end|>`): M-RoPE position ids and
  rope delta, LLM logits and hidden states, 8 greedy tokens and a 3-beam search (6 tokens, EOS 2).

Run from the repository root:  .venv-bench/bin/python scripts/make_qwen2_5_vl_fixtures.py
"""
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
from transformers.vision_utils import get_vision_window_index

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_qwen2_vl_fixtures import make_image  # noqa: E402  (the same seeded test images)

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "qwen2.5-vl")
IMAGE_TOKEN, VISION_START, VISION_END = 140, 141, 142
# (width, height) → merged grids (h x w) 2 x 3, 3 x 5 and 2 x 2 under the pixel bounds below.
IMAGE_SIZES = {"wide": (90, 50), "large": (150, 90), "square": (60, 60)}
WINDOW_SIZE, FULL_BLOCKS = 56, [1, 3]


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    # Factor 28, between 28*28 and 28*28*16 pixels (at most 16 merged patches).
    processor = Qwen2VLImageProcessorPil(size={"shortest_edge": 28 * 28, "longest_edge": 28 * 28 * 16})
    processor.save_pretrained(os.path.join(OUT, "model"))
    golden = {}
    for index, (name, (width, height)) in enumerate(IMAGE_SIZES.items()):
        image = make_image(width, height, 700 + index)
        image.save(os.path.join(OUT, f"{name}.png"))
        out = processor(images=image, return_tensors="pt")
        golden[f"processor.{name}.pixel_values"] = out["pixel_values"]
        golden[f"processor.{name}.image_grid_thw"] = out["image_grid_thw"]

    torch.manual_seed(2525)
    vision = dict(depth=4, hidden_size=32, out_hidden_size=48, intermediate_size=40, hidden_act="silu", num_heads=4,
                  in_channels=3, patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=WINDOW_SIZE,
                  fullatt_block_indexes=FULL_BLOCKS, rope_parameters={"rope_type": "axial", "rope_theta": 10000.0})
    text = dict(vocab_size=150, hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, rms_norm_eps=1e-6, max_position_embeddings=512, bos_token_id=1,
                eos_token_id=2, rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                 "mrope_section": [2, 3, 1]})
    config = transformers.Qwen2_5_VLConfig(vision_config=vision, text_config=text, image_token_id=IMAGE_TOKEN,
                                           video_token_id=143, vision_start_token_id=VISION_START,
                                           vision_end_token_id=VISION_END)
    config._attn_implementation = "eager"
    config.text_config._attn_implementation = "eager"
    config.vision_config._attn_implementation = "eager"
    model = transformers.Qwen2_5_VLForConditionalGeneration(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if ("norm" in pname or "ln_q" in pname) and pname.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(os.path.join(OUT, "model"), safe_serialization=True)

    for name in IMAGE_SIZES:
        pixel_values = golden[f"processor.{name}.pixel_values"]
        grid = golden[f"processor.{name}.image_grid_thw"]
        window_index, cu_window_seqlens = get_vision_window_index(grid, spatial_merge_size=2, window_size=WINDOW_SIZE,
                                                                  patch_size=14)
        golden[f"{name}.window_index"] = window_index
        golden[f"{name}.cu_window_seqlens"] = cu_window_seqlens.long()
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
            beam = model.generate(input_ids=expanded, pixel_values=pixel_values, image_grid_thw=grid,
                                  mm_token_type_ids=mm, max_new_tokens=6, do_sample=False, num_beams=3,
                                  early_stopping=True, eos_token_id=2, pad_token_id=0)
        golden[f"{name}.image_features"] = features
        golden[f"{name}.input_ids"] = torch.tensor([prompt])
        golden[f"{name}.position_ids"] = positions[:, 0]
        golden[f"{name}.rope_delta"] = deltas.reshape(1)
        golden[f"{name}.logits"] = out.logits
        for layer, hidden in enumerate(out.hidden_states):
            golden[f"{name}.hidden_states.{layer}"] = hidden
        golden[f"{name}.greedy"] = greedy[:, expanded.shape[1]:]
        golden[f"{name}.beam3"] = beam[:, expanded.shape[1]:]
        print(f"{name}: grid {grid.tolist()}, {count} features, windows {cu_window_seqlens.tolist()}, "
              f"delta {deltas.item()}, greedy {golden[f'{name}.greedy'].tolist()}, beam {golden[f'{name}.beam3'].tolist()}",
              file=sys.stderr)
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Qwen2.5-VL conformance fixtures\n\n"
                f"Generated by `scripts/make_qwen2_5_vl_fixtures.py` with transformers {transformers.__version__} and "
                f"torch {torch.__version__} (fp32, eager attention).\n"
                "`model/` is a tiny random `Qwen2_5_VLForConditionalGeneration` as `save_pretrained` writes it (vision: 4\n"
                "blocks of width 32 with RMSNorm and a gated SiLU MLP, windows of 2x2 merged patches (`window_size` 56),\n"
                "full attention in blocks 1 and 3, 2x2 merger with an RMSNorm `ln_q`; text: Qwen2 decoder with M-RoPE\n"
                "sections [2, 3, 1]) and its `preprocessor_config.json` (`Qwen2VLImageProcessorPil`, 784 to 12,544\n"
                "pixels). `wide.png`, `large.png`, `square.png` (merged grids 2x3, 3x5 and 2x2) are the processor's\n"
                "inputs; `golden.safetensors` holds, per image, `processor.<image>.pixel_values` / `.image_grid_thw`,\n"
                "`window_index` and `cu_window_seqlens`, `image_features`, `input_ids` (one `<|image_pad|>`),\n"
                "`position_ids` [3, T] and `rope_delta` of the expanded prompt, `logits`, `hidden_states.<i>`, 8\n"
                "`greedy` tokens and `beam3` (3 beams, 6 tokens, EOS 2, early stopping).\n\n"
                "`multi_image.safetensors` (scripts/make_qwen2_vl_multi_image_fixture.py qwen2.5-vl, same transformers and torch):\n"
                "`large.png` and `wide.png` as one sample, the processor's `pixel_values` and `image_grid_thw` [2, 3], `input_ids`\n"
                "(one `<|image_pad|>` per image) and `expanded_input_ids`, both images' `image_features`, `position_ids` [3, T],\n"
                "`rope_delta`, `logits` and 8 `greedy` tokens.\n")


if __name__ == "__main__":
    main()
