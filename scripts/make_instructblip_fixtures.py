#!/usr/bin/env python3
"""Golden tensors for Lucid's InstructBLIP conformance tests (Tests/LucidModelsTests/Fixtures/instructblip/).

Builds a tiny random `InstructBlipForConditionalGeneration` with a Llama decoder (transformers pinned in
scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager attention) and records, for
one image and one instruction: the `BlipImageProcessorPil` pixel values, the vision tower's output, the
Q-Former's query output and the projected image features, the LLM logits and hidden states, and 8
greedy tokens. The Q-Former's instruction ids are given directly here; make_instructblip_instruction_fixture.py
adds the tokenizer that makes them from text.

Run from the repository root:  .venv-bench/bin/python scripts/make_instructblip_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "instructblip")
IMAGE_TOKEN = 149
QUERY_TOKENS = 4


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(77)
    y, x = np.mgrid[0:45, 0:60]
    base = np.stack([x * 4, y * 5, (x + y) * 3], axis=-1) + rng.integers(-30, 31, size=(45, 60, 3))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    image.save(os.path.join(OUT, "image.png"))
    processor = BlipImageProcessorPil(size={"height": 28, "width": 28})
    processor.save_pretrained(os.path.join(OUT, "model"))
    pixel_values = processor(images=image, return_tensors="pt")["pixel_values"]

    torch.manual_seed(6262)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=28,
                  patch_size=7, hidden_act="gelu", layer_norm_eps=1e-6, qkv_bias=True)
    qformer = dict(vocab_size=60, hidden_size=24, num_hidden_layers=3, num_attention_heads=4, intermediate_size=40,
                   hidden_act="gelu", max_position_embeddings=64, layer_norm_eps=1e-12, pad_token_id=0,
                   cross_attention_frequency=2, encoder_hidden_size=32)
    text = transformers.LlamaConfig(vocab_size=150, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                                    rope_theta=10000.0, max_position_embeddings=256, bos_token_id=1,
                                    eos_token_id=2, pad_token_id=0)
    config = transformers.InstructBlipConfig(vision_config=vision, qformer_config=qformer, text_config=text.to_dict(),
                                             num_query_tokens=QUERY_TOKENS, image_token_index=IMAGE_TOKEN)
    for sub in (config, config.vision_config, config.qformer_config, config.text_config):
        sub._attn_implementation = "eager"
    model = transformers.InstructBlipForConditionalGeneration(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if ("norm" in pname.lower()) and pname.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(os.path.join(OUT, "model"), safe_serialization=True)

    qformer_ids = torch.tensor([[5, 17, 23, 42, 9]])
    prompt = [1, 17, 33, 45, 12]
    ids = torch.tensor([[IMAGE_TOKEN] * QUERY_TOKENS + prompt])
    with torch.no_grad():
        image_outputs = model.get_image_features(pixel_values=pixel_values, qformer_input_ids=qformer_ids,
                                                       qformer_attention_mask=torch.ones_like(qformer_ids))
        out = model(pixel_values=pixel_values, qformer_input_ids=qformer_ids,
                    qformer_attention_mask=torch.ones_like(qformer_ids), input_ids=ids, output_hidden_states=True)
        greedy = model.generate(pixel_values=pixel_values, qformer_input_ids=qformer_ids,
                                qformer_attention_mask=torch.ones_like(qformer_ids), input_ids=ids, max_new_tokens=8,
                                do_sample=False, num_beams=1, eos_token_id=None, pad_token_id=0)
    golden = {
        "pixel_values": pixel_values,
        "vision_output": image_outputs.last_hidden_state,
        "query_output": image_outputs.qformer_outputs.last_hidden_state[:, :QUERY_TOKENS],
        "image_features": image_outputs.pooler_output,
        "qformer_input_ids": qformer_ids,
        "input_ids": torch.tensor([[IMAGE_TOKEN] + prompt]),
        "logits": out.logits,
        # generate() returns the prompt ids followed by the new tokens.
        "greedy": greedy[:, ids.shape[1]:],
    }
    for layer, hidden in enumerate(out.language_model_outputs.hidden_states):
        golden[f"hidden_states.{layer}"] = hidden
    print(f"greedy {golden['greedy'].tolist()} (generate returned {greedy.shape[1]} tokens)", file=sys.stderr)
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# InstructBLIP conformance fixtures\n\n"
                f"Generated by `scripts/make_instructblip_fixtures.py` with transformers {transformers.__version__} and "
                f"torch {torch.__version__} (fp32, eager attention).\n"
                "`model/` is a tiny random `InstructBlipForConditionalGeneration` with a Llama decoder as `save_pretrained`\n"
                "writes it (ViT 28 px / 7 px patches, Q-Former of 3 layers with cross-attention every 2nd, 4 query\n"
                "tokens) and its `preprocessor_config.json` (`BlipImageProcessorPil`, 28 x 28). `golden.safetensors`:\n"
                "`pixel_values` of `image.png`, `vision_output`, `query_output`, `image_features`, `qformer_input_ids`,\n"
                "`input_ids` (one placeholder, expanded to 4 query tokens in the reference), `logits`,\n"
                "`hidden_states.<i>` and 8 `greedy` tokens.\n")


if __name__ == "__main__":
    main()
