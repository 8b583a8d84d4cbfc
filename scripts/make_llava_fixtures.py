#!/usr/bin/env python3
"""Golden tensors for Lucid's LLaVA conformance tests (Tests/LucidModelsTests/Fixtures/llava/).

Builds two tiny random `LlavaForConditionalGeneration` models with transformers 4.40.2 (pinned in
scripts/requirements-bench.txt; Debian torch 1.13, fp32, eager attention) that differ in vision
feature layer and selection strategy, GELU vs quick-GELU, GQA vs MHA, RoPE θ and RMS ε, and
records for one prompt with a single image placeholder: LLM logits, every LLM attention map and
hidden state, every vision-tower attention map and hidden state, and greedy / beam continuations.

Run from the repository root:  .venv-bench/bin/python scripts/make_llava_fixtures.py
"""
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llava")
IMAGE_TOKEN = 90

CONFIGS = {
    "llava-a": dict(
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, image_size=28,
                    patch_size=7, hidden_act="quick_gelu", layer_norm_eps=1e-5),
        text=dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=4, rms_norm_eps=1e-6, rope_theta=10000.0),
        vision_feature_layer=-2, vision_feature_select_strategy="default"),
    "llava-b": dict(
        vision=dict(hidden_size=24, intermediate_size=40, num_hidden_layers=2, num_attention_heads=3, image_size=24,
                    patch_size=6, hidden_act="gelu", layer_norm_eps=1e-6),
        text=dict(vocab_size=96, hidden_size=48, intermediate_size=72, num_hidden_layers=2, num_attention_heads=6,
                  num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=50000.0),
        vision_feature_layer=-1, vision_feature_select_strategy="full"),
}


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    for index, (name, spec) in enumerate(CONFIGS.items()):
        torch.manual_seed(2000 + index)
        vision = transformers.CLIPVisionConfig(**spec["vision"])
        text = transformers.LlamaConfig(**spec["text"], max_position_embeddings=256, bos_token_id=1, eos_token_id=2,
                                        pad_token_id=0)
        config = transformers.LlavaConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN,
                                          projector_hidden_act="gelu", vision_feature_layer=spec["vision_feature_layer"],
                                          vision_feature_select_strategy=spec["vision_feature_select_strategy"])
        config._attn_implementation = "eager"
        config.text_config._attn_implementation = "eager"
        model = transformers.LlavaForConditionalGeneration(config).eval()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if "norm" in pname and pname.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
                else:
                    p.copy_(0.3 * torch.randn_like(p))
        directory = os.path.join(OUT, name)
        model.save_pretrained(os.path.join(directory, "model"), safe_serialization=True)
        ids = torch.tensor([[1, 17, 33, IMAGE_TOKEN, 45, 12, 60, 7]])
        pixels = torch.randn(1, 3, vision.image_size, vision.image_size)
        golden = {"input_ids": ids, "pixel_values": pixels}
        with torch.no_grad():
            out = model(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids), output_attentions=True,
                        output_hidden_states=True, use_cache=False)
            golden["logits"] = out.logits
            for layer, a in enumerate(out.attentions):
                golden[f"attentions.{layer}"] = a
            for i, h in enumerate(out.hidden_states):
                golden[f"hidden_states.{i}"] = h
            vision_out = model.vision_tower(pixels, output_hidden_states=True, output_attentions=True)
            for layer, a in enumerate(vision_out.attentions):
                golden[f"vision.attentions.{layer}"] = a
            for i, h in enumerate(vision_out.hidden_states):
                golden[f"vision.hidden_states.{i}"] = h
            mask = torch.ones_like(ids)
            greedy = model.generate(input_ids=ids, pixel_values=pixels, attention_mask=mask, max_new_tokens=8,
                                    do_sample=False, num_beams=1, eos_token_id=None, pad_token_id=0)
            golden["greedy"] = greedy[:, ids.shape[1]:]
            beam = model.generate(input_ids=ids, pixel_values=pixels, attention_mask=mask, max_new_tokens=6,
                                  do_sample=False, num_beams=3, early_stopping=True, eos_token_id=2, pad_token_id=0)
            golden["beam3"] = beam[:, ids.shape[1]:]
        save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(directory, "golden.safetensors"))
        print(f"{name}: greedy {golden['greedy'].tolist()} beam {golden['beam3'].tolist()}", file=sys.stderr)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# LLaVA conformance fixtures\n\n"
                f"Generated by `scripts/make_llava_fixtures.py` (transformers {transformers.__version__}, torch "
                f"{torch.__version__}, fp32, eager attention). Each directory: a tiny random `model/` and\n"
                "`golden.safetensors` with `input_ids` (one image placeholder, id 90), `pixel_values`, `logits`,\n"
                "`attentions.{l}`, `hidden_states.{i}` (LLM, over the expanded sequence), `vision.attentions.{l}`,\n"
                "`vision.hidden_states.{i}`, `greedy` (8 tokens, no EOS) and `beam3` (3 beams, 6 tokens, EOS 2).\n")


if __name__ == "__main__":
    main()
