#!/usr/bin/env python3
"""bf16 and f16 golden tensors for Lucid's reduced-precision conformance tests
(Tests/LucidModelsTests/Fixtures/bf16/ and .../f16/).

Loads the committed f32 Llama-family fixtures (Tests/LucidModelsTests/Fixtures/llama/*/model) with
Hugging Face transformers in bfloat16 or float16 (weights converted on load, eager attention, as a
user would run `from_pretrained(..., dtype=torch.bfloat16)`), and records for the fixture's own
`input_ids`: the logits of a full forward pass, the logits of an incremental decode (prefill 8 + 4
cached steps, so the KV cache is in that dtype too) and a greedy continuation of 10 tokens after the
first 6 ids; and for a longer prompt of 48 fixed ids (`long_input_ids`, (7·i + 3) mod vocab) the
logits of a full forward pass (`long_logits`): 48 rows reach the CPU kernels that compute a
reduced-precision product widened to f32 (≥ 32 rows, docs/engine.md), which 12 rows do not; and a
left-padded batch of two of those rows (`padded_input_ids`, `padded_attention_mask`, `padded_logits`).

With `--attention sdpa` prompts run transformers' sdpa attention (its default) and decoding steps eager
attention, as Lucid's fused attention (`ModelLoadOptions.fusedAttention`) does them; the files go to
Fixtures/DTYPE/sdpa/.

Run from the repository root:
  .venv-bench/bin/python scripts/make_bf16_fixtures.py [--dtype bf16|f16] [--attention eager|sdpa]
(default bf16 and eager; f16 writes Fixtures/f16/)
(`scripts/setup.sh --bench` creates the venv: the torch wheel Lucid links plus the pinned
transformers of scripts/requirements-bench.txt). Output is deterministic for a given torch build.
"""
import argparse
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

from fixture_common import EagerAfterThePrompt

SOURCE = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llama")
DTYPES = {"bf16": (torch.bfloat16, "bfloat16"), "f16": (torch.float16, "float16")}
NAMES = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]


def main():
    parser = argparse.ArgumentParser(description="bf16/f16 conformance fixtures")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    parser.add_argument("--attention", choices=["eager", "sdpa"], default="eager")
    parser.add_argument("--out", help="output folder (default Tests/LucidModelsTests/Fixtures/DTYPE, with sdpa DTYPE/sdpa)")
    args = parser.parse_args()
    dtype, dtype_name = DTYPES[args.dtype]
    out = args.out or os.path.join("Tests", "LucidModelsTests", "Fixtures", args.dtype, *(["sdpa"] if args.attention == "sdpa" else []))
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for name in NAMES:
        model = transformers.AutoModelForCausalLM.from_pretrained(
            os.path.join(SOURCE, name, "model"), dtype=dtype, attn_implementation=args.attention).eval()
        assert model.config._attn_implementation == args.attention
        ids = load_file(os.path.join(SOURCE, name, "golden.safetensors"))["input_ids"]
        golden = {}
        with torch.no_grad():
            golden["logits"] = model(ids, use_cache=False).logits.float()
            prefill = model(ids[:, :8], use_cache=True)
            past, steps = prefill.past_key_values, [prefill.logits]
            model.set_attn_implementation("eager")  # decoding steps: eager either way
            for t in range(8, 12):
                step = model(ids[:, t:t + 1], past_key_values=past, use_cache=True)
                past = step.past_key_values
                steps.append(step.logits)
            golden["cached_logits"] = torch.cat(steps, dim=1).float()
            model.set_attn_implementation(args.attention)
            greedy = model.generate(ids[:, :6], max_new_tokens=10, do_sample=False, num_beams=1, eos_token_id=None,
                                    pad_token_id=0, logits_processor=[EagerAfterThePrompt(model)])
            golden["greedy"] = greedy[:, 6:]
            model.set_attn_implementation(args.attention)
            vocab = model.config.vocab_size
            long_ids = ((torch.arange(48) * 7 + 3) % vocab).unsqueeze(0)
            golden["long_input_ids"] = long_ids
            golden["long_logits"] = model(long_ids, use_cache=False).logits.float()
            # A left-padded batch (what DAMRO runs): the first 40 long ids, and their
            # last 25 after 15 padding positions; sdpa takes the boolean mask, eager the additive one.
            padded = torch.stack([long_ids[0, :40], torch.cat([torch.zeros(15, dtype=long_ids.dtype), long_ids[0, 15:40]])])
            mask = torch.ones_like(padded)
            mask[1, :15] = 0
            golden["padded_input_ids"] = padded
            golden["padded_attention_mask"] = mask
            golden["padded_logits"] = model(padded, attention_mask=mask, use_cache=False).logits.float()
        save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(out, f"{name}.safetensors"))
        print(f"{name}: wrote {out}/{name}.safetensors", file=sys.stderr)
    if args.attention == "sdpa":  # Fixtures/DTYPE/sdpa/README.md covers both scripts' files
        return
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(f"# {args.dtype} conformance fixtures\n\n"
                f"Generated by `scripts/make_bf16_fixtures.py --dtype {args.dtype}` with transformers "
                f"{transformers.__version__} and torch {torch.__version__} ({dtype_name}, eager attention).\n"
                f"For each model of `../llama/NAME/model`, loaded in {args.dtype}, on that fixture's `input_ids`: `logits`\n"
                f"[1, 12, V] ({args.dtype} values stored as f32), `cached_logits` (prefill 8 + 4 cached steps) and `greedy`\n"
                "(10 new tokens after the first 6 ids, no EOS); `long_input_ids` [1, 48] and their full-pass `long_logits`.\n")


if __name__ == "__main__":
    main()
