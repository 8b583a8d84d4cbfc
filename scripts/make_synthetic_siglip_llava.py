#!/usr/bin/env python3
"""Writes a random-weight LLaVA with a SigLIP tower at LLaVA-Interleave-0.5B's scale, for `lucid bench llava`.

Shapes (not the published weights, which this machine cannot download): SigLIP so400m as LLaVA-OneVision's
config defaults give it (26 layers, hidden 1152, intermediate 4304, 16 heads, 384 px, 14-px patches: 27² = 729
patches, no head) and a Qwen2-0.5B decoder (24 layers, hidden 896, intermediate 4864, 14 heads, 2 KV heads,
vocabulary 151,936, tied embeddings, RoPE θ 1e6); `model_type: llava`, `full` strategy, last layer, image id
151646. Weights N(0, 0.02²) from a seeded generator, norms 1, biases 0, written in bf16 by `save_pretrained`.

With `--onevision`: a LLaVA-OneVision-0.5B-shaped `model_type: llava_onevision` checkpoint instead (the
same tower and decoder, every other key at transformers' OneVision default: 36 pinpoints of 384-px tiles,
`anyres_max_9`).

    .venv-bench/bin/python scripts/make_synthetic_siglip_llava.py OUT [--seed S] [--onevision]
"""
import argparse

import torch
import transformers


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--onevision", action="store_true", help="write a llava_onevision checkpoint")
    args = parser.parse_args()
    vision = transformers.SiglipVisionConfig(hidden_size=1152, intermediate_size=4304, num_hidden_layers=26, num_attention_heads=16,
                                             image_size=384, patch_size=14, vision_use_head=False)
    text = transformers.Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                                    num_attention_heads=14, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
                                    max_position_embeddings=32768, tie_word_embeddings=True, bos_token_id=151643,
                                    eos_token_id=151645)
    if args.onevision:
        config = transformers.LlavaOnevisionConfig(vision_config=vision, text_config=text, tie_word_embeddings=True)
        build = transformers.LlavaOnevisionForConditionalGeneration
    else:
        config = transformers.LlavaConfig(vision_config=vision, text_config=text, image_token_index=151646, vision_feature_layer=-1,
                                          vision_feature_select_strategy="full", projector_hidden_act="gelu", tie_word_embeddings=True)
        build = transformers.LlavaForConditionalGeneration
    torch.manual_seed(args.seed)
    model = build(config).to(torch.bfloat16).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.fill_(1.0)
            elif name.endswith("bias") or name.endswith("image_newline"):
                p.zero_()
            else:
                p.normal_(0.0, 0.02)
    model.save_pretrained(args.out)
    print(f"wrote {args.out}: {sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters")


if __name__ == "__main__":
    main()
