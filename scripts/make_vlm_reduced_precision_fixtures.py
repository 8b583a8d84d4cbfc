#!/usr/bin/env python3
"""bf16 and f16 goldens of the six vision-language family fixtures, for Lucid's reduced-precision
conformance tests (Tests/LucidModelsTests/Fixtures/{bf16,f16}/vlm-<family>.safetensors).

Loads each committed f32 family checkpoint (Tests/LucidModelsTests/Fixtures/<family>/model: LLaVA-1.5's
shape (llava/llava-a), LLaVA-NeXT, LLaVA-OneVision, a SigLIP LLaVA, Qwen2-VL, Qwen2.5-VL, InstructBLIP) with Hugging Face transformers in
bfloat16 or float16 (`dtype=` on `from_pretrained`, eager attention everywhere, as the f32 fixtures were
made), feeds it the processor outputs already in the family's `golden.safetensors` (pixel values cast
to the dtype, as a user's `processor(...).to(dtype)` does) and the prompt with its image placeholder
expanded to the feature count the f32 golden's logits imply, and records:
- `logits`: the full forward pass's logits, [1, T, V], as f32 (exact: they are bf16/f16 values);
- `greedy`: 8 greedy tokens, EOS disabled.

With `--attention sdpa` the whole prompt pass runs in transformers' sdpa attention, its default (the
language model, the vision tower and InstructBLIP's Q-Former), and the greedy tokens' decoding steps
eagerly, as Lucid's fused attention does (`ModelLoadOptions.fusedAttention`); the files go to
Fixtures/{bf16,f16}/sdpa/. `--output DIR` writes the files elsewhere (to compare before replacing).

Run from the repository root:
  .venv-bench/bin/python scripts/make_vlm_reduced_precision_fixtures.py [--dtype bf16|f16] [--attention eager|sdpa]
(`scripts/setup.sh --bench` creates the venv: the torch wheel Lucid links and the pinned transformers of
scripts/requirements-bench.txt). Output is deterministic for a given torch build and CPU kernel set.
"""
import argparse
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file

from fixture_common import EagerAfterThePrompt

ROOT = os.path.join("Tests", "LucidModelsTests", "Fixtures")
DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16}
# family folder -> (golden key prefix of the prompt, {HF input name: golden key})
FAMILIES = {
    "llava/llava-a": ("", {"pixel_values": "pixel_values"}),  # LLaVA-1.5's shape: a CLIP tower with [CLS]
    "llava-next": ("wide.", {"pixel_values": "processor.wide.pixel_values", "image_sizes": "processor.wide.image_sizes"}),
    "llava-onevision": ("wide.", {"pixel_values": "processor.wide.pixel_values", "image_sizes": "processor.wide.image_sizes"}),
    "llava-siglip": ("wide.", {"pixel_values": "processor.wide.pixel_values"}),
    "qwen2-vl": ("wide.", {"pixel_values": "processor.wide.pixel_values", "image_grid_thw": "processor.wide.image_grid_thw"}),
    "qwen2.5-vl": ("large.", {"pixel_values": "processor.large.pixel_values", "image_grid_thw": "processor.large.image_grid_thw"}),
    "instructblip": ("", {"pixel_values": "pixel_values", "qformer_input_ids": "qformer_input_ids"}),
}
CLASSES = {
    "llava": "LlavaForConditionalGeneration",
    "llava_next": "LlavaNextForConditionalGeneration",
    "llava_onevision": "LlavaOnevisionForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "instructblip": "InstructBlipForConditionalGeneration",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    parser.add_argument("--attention", choices=["eager", "sdpa"], default="eager",
                        help="the prompt pass's attention, everywhere (decoding steps are eager)")
    parser.add_argument("--output", help="folder for the files (default: the fixtures' own)")
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    out = os.path.join(ROOT, args.dtype) if args.attention == "eager" else os.path.join(ROOT, args.dtype, "sdpa")
    out = args.output or out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for family, (prefix, names) in FAMILIES.items():
        folder = os.path.join(ROOT, family)
        golden = load_file(os.path.join(folder, "golden.safetensors"))
        with open(os.path.join(folder, "model", "config.json")) as f:
            config = json.load(f)
        image_token = config.get("image_token_index", config.get("image_token_id"))
        model_class = getattr(transformers, CLASSES[config["model_type"]])
        model = model_class.from_pretrained(os.path.join(folder, "model"), dtype=dtype, attn_implementation=args.attention).eval()
        for m in model.modules():  # every part in the asked attention
            if isinstance(m, transformers.PreTrainedModel):
                assert m.config._attn_implementation == args.attention, (type(m).__name__, m.config._attn_implementation)

        prompt = golden[prefix + "input_ids"][0].tolist()
        count = golden[prefix + "logits"].shape[1] - len(prompt) + 1
        at = prompt.index(image_token)
        expanded = torch.tensor([prompt[:at] + [image_token] * count + prompt[at + 1:]])
        inputs = {}
        for hf_name, key in names.items():
            tensor = golden[key]
            inputs[hf_name] = tensor.to(dtype) if tensor.is_floating_point() else tensor
        if "image_sizes" in inputs:  # one image's [height, width]; the model takes [1, 2]
            inputs["image_sizes"] = inputs["image_sizes"].reshape(1, 2)
        if "image_grid_thw" in inputs:  # M-RoPE reads which positions are image tokens (1) from the processor
            inputs["mm_token_type_ids"] = (expanded == image_token).int()
        if "qformer_input_ids" in inputs:
            inputs["qformer_attention_mask"] = torch.ones_like(inputs["qformer_input_ids"])
        with torch.no_grad():
            logits = model(input_ids=expanded, **inputs, use_cache=False).logits
            greedy = model.generate(input_ids=expanded, **inputs, max_new_tokens=8, do_sample=False, num_beams=1,
                                    eos_token_id=None, pad_token_id=0, logits_processor=[EagerAfterThePrompt(model)])
        assert logits.dtype == dtype, logits.dtype
        record = {"input_ids": golden[prefix + "input_ids"], "logits": logits.float().contiguous(),
                  "greedy": greedy[:, expanded.shape[1]:].contiguous()}
        f32_distance = (logits.float() - golden[prefix + "logits"]).abs().max().item()
        save_file(record, os.path.join(out, f"vlm-{os.path.basename(family)}.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})
        print(f"{family}: {count} image features, greedy {record['greedy'].tolist()} "
              f"(f32 {golden[prefix + 'greedy'].tolist()}), max |{args.dtype} - f32| logits {f32_distance:.4f}")


if __name__ == "__main__":
    main()
