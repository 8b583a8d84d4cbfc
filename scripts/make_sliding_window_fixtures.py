#!/usr/bin/env python3
"""Golden tensors for Lucid's sliding-window attention tests (Tests/LucidModelsTests/Fixtures/sliding-window/).

Two tiny random checkpoints whose window is shorter than the test prompts, so it hides keys:
- `mistral-window`: `MistralForCausalLM`, `sliding_window` 5 on every layer (Mistral-7B-v0.1 has 4096);
- `qwen2-window`: `Qwen2ForCausalLM` with `use_sliding_window: true`, `sliding_window` 4 and
  `max_window_layers` 1, so layer 0 attends fully and layer 1 through the window.
For a fixed 12-token prompt, with transformers (pinned in scripts/requirements-bench.txt, on the torch
wheel Lucid links; fp32, eager attention): logits, every attention map, every hidden state, the logits
of a prefill of 8 and 4 cached steps, 10 greedy tokens after the first 6 ids and 3 beams of 8 tokens
(EOS 2, early stopping); and the full pass's logits with sdpa attention (`sdpa_logits`, transformers'
default, which applies the window as a mask).

Run from the repository root:  .venv-bench/bin/python scripts/make_sliding_window_fixtures.py
(`scripts/setup.sh --bench` creates the venv). Output is deterministic for a given torch build.
"""
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

from fixture_common import record_causal_lm

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "sliding-window")
COMMON = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
              max_position_embeddings=128, bos_token_id=1, eos_token_id=2, pad_token_id=0)


def build(name):
    if name == "mistral-window":
        config = transformers.MistralConfig(**COMMON, sliding_window=5)
        model = transformers.MistralForCausalLM(config)
    else:
        config = transformers.Qwen2Config(**COMMON, use_sliding_window=True, sliding_window=4, max_window_layers=1)
        model = transformers.Qwen2ForCausalLM(config)
    model.set_attn_implementation("eager")
    with torch.no_grad():  # a larger spread than HF's 0.02, so that attention is far from uniform
        for pname, p in model.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if "norm" in pname else 0.3 * torch.randn_like(p))
    return model.eval()


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    for index, name in enumerate(["mistral-window", "qwen2-window"]):
        torch.manual_seed(2800 + index)
        model = build(name)
        directory = os.path.join(OUT, name)
        model.save_pretrained(os.path.join(directory, "model"), safe_serialization=True)
        ids = torch.randint(3, model.config.vocab_size, (1, 12))
        golden = record_causal_lm(model, ids)
        with torch.no_grad():
            model.set_attn_implementation("sdpa")
            golden["sdpa_logits"] = model(ids, use_cache=False).logits
            # The window must matter: the same weights with full attention give other logits.
            model.config.sliding_window = 1 << 20
            full = model(ids, use_cache=False).logits
            print(f"{name}: max |window - full| logits {(full - golden['logits']).abs().max().item():.3f}", file=sys.stderr)
        save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(directory, "golden.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})
        print(f"{name}: wrote {directory}", file=sys.stderr)


if __name__ == "__main__":
    main()
