#!/usr/bin/env python3
"""Golden tensors for Lucid's Llama-family conformance tests (Tests/LucidModelsTests/Fixtures/llama/).

Builds tiny random `LlamaForCausalLM` / `Qwen2ForCausalLM` checkpoints with Hugging Face
transformers (pinned in scripts/requirements-bench.txt, on the torch wheel Lucid links; fp32, eager
attention) and records, for a fixed prompt: logits, every attention map, every hidden state, the
logits of an incremental (KV-cached) decode, greedy and beam-search continuations.

Run from the repository root:  .venv-bench/bin/python scripts/make_llama_fixtures.py [NAME ...]
(no names: every fixture; the first three were last written by transformers 4.40.2, see the README).
(`scripts/setup.sh --bench` creates the venv). Output is deterministic for a given torch build.
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

from fixture_common import record_causal_lm

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llama")

CONFIGS = {
    # Multi-head attention, untied head, default RoPE base.
    "llama-mha": dict(arch="llama", vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, rms_norm_eps=1e-6, rope_theta=10000.0,
                      tie_word_embeddings=False, attention_bias=False),
    # Grouped-query attention, tied embeddings, biases everywhere, large RoPE base, larger eps.
    "llama-gqa": dict(arch="llama", vocab_size=101, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
                      num_attention_heads=6, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=500000.0,
                      tie_word_embeddings=True, attention_bias=True),
    # Qwen2: q/k/v bias, no o bias, GQA.
    "qwen2": dict(arch="qwen2", vocab_size=89, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
                  tie_word_embeddings=False),
    # Llama 3.1 long-context RoPE (`rope_type: llama3`). A short original context (16) puts head_dim 16's
    # frequencies (base 10000) in all bands: wavelength 2π (between high_freq_wavelen 4 and low_freq_wavelen 16)
    # is smoothed, 19.9 and longer are divided by the factor.
    "llama31-rope": dict(arch="llama", vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0,
                         tie_word_embeddings=False, attention_bias=False,
                         rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                           original_max_position_embeddings=16)),
    # Linear position interpolation (`rope_type: linear`).
    "llama-linear-rope": dict(arch="llama", vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=4, rms_norm_eps=1e-6, rope_theta=10000.0,
                              tie_word_embeddings=False, attention_bias=False,
                              rope_scaling=dict(rope_type="linear", factor=4.0)),
    # Qwen3: per-head RMS norms of queries and keys before RoPE, no q/k/v bias, head_dim apart from hidden/heads.
    "qwen3": dict(arch="qwen3", vocab_size=89, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=1000000.0,
                  tie_word_embeddings=False),
}


def build(name, spec):
    spec = dict(spec)
    arch = spec.pop("arch")
    common = dict(max_position_embeddings=128, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    if arch == "llama":
        config = transformers.LlamaConfig(**spec, **common)
        model = transformers.LlamaForCausalLM(config)
    elif arch == "qwen3":
        config = transformers.Qwen3Config(**spec, **common, use_sliding_window=False)
        model = transformers.Qwen3ForCausalLM(config)
    else:
        config = transformers.Qwen2Config(**spec, **common, use_sliding_window=False)
        model = transformers.Qwen2ForCausalLM(config)
    config._attn_implementation = "eager"
    # Re-initialise with a larger spread than HF's 0.02 so that attention is far from uniform.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    return model.eval(), config


def main():
    """Writes every fixture, or only those named on the command line (`... make_llama_fixtures.py llama31-rope`)."""
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    wanted = set(sys.argv[1:]) or set(CONFIGS)
    for index, (name, spec) in enumerate(CONFIGS.items()):
        if name not in wanted:
            continue
        torch.manual_seed(1000 + index)
        model, config = build(name, spec)
        directory = os.path.join(OUT, name)
        os.makedirs(directory, exist_ok=True)
        model.save_pretrained(os.path.join(directory, "model"), safe_serialization=True)
        ids = torch.randint(3, config.vocab_size, (1, 12))
        golden = record_causal_lm(model, ids)
        prompt = ids[:, :6]
        with torch.no_grad():
            # EOS paths: an EOS id that greedy decoding meets, so finished hypotheses compete with
            # running beams, under the other early-stopping modes and length penalties.
            eos = int(golden["greedy"][0, 3])
            golden["beam_eos_id"] = torch.tensor([eos])
            for tag, stopping, penalty in (("heuristic", False, 0.7), ("never", "never", 1.3), ("finished", True, 1.0)):
                out_eos = model.generate(prompt, max_new_tokens=8, do_sample=False, num_beams=4, early_stopping=stopping,
                                         length_penalty=penalty, eos_token_id=eos, pad_token_id=0)
                golden[f"beam4_eos_{tag}"] = out_eos[:, 6:]
        save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(directory, "golden.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})
        print(f"{name}: wrote {directory}", file=sys.stderr)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Llama-family conformance fixtures\n\n"
                "Generated by `scripts/make_llama_fixtures.py` (fp32, eager attention). Each `golden.safetensors`\n"
                "records the transformers and torch versions that wrote it in its metadata; `llama-mha`,\n"
                "`llama-gqa` and `qwen2` predate that and were made with transformers 4.40.2 on torch 1.13.0a0\n"
                "(they still pass unchanged on torch 2.13); `llama31-rope` (Llama 3.1 `rope_type: llama3`) and\n"
                "`llama-linear-rope` (linear position interpolation) and `qwen3` (per-head q/k RMS norms, head_dim 16\n"
                "beside hidden 32 / 4 heads) with transformers 5.23.0 on torch 2.13.0+cpu.\n"
                "Each directory holds a tiny random checkpoint in `model/` (`config.json`, `model.safetensors`) and\n"
                "`golden.safetensors`: `input_ids` [1, 12], `logits`, `attentions.{l}` [1, H, 12, 12],\n"
                "`hidden_states.{i}` (0 = embeddings, last = after the final norm), `cached_logits`\n"
                "(prefill 8 + 4 cached steps), `greedy` (10 new tokens after the first 6 ids, no EOS) and\n"
                "`beam3` (3 beams, 8 new tokens, EOS 2, early stopping, length penalty 1); `beam4_eos_*` use\n"
                "EOS = `beam_eos_id` (greedy's 4th token) with 4 beams: heuristic stopping with length penalty\n"
                "0.7, 'never' with 1.3, and stop-when-finished with 1.0.\n\n"
                "`llama31-rope/model.gguf` is that checkpoint as llama.cpp's `convert_hf_to_gguf.py` writes a Llama 3.1:\n"
                "f32 weights under llama.cpp's names, q/k rows permuted, and the `llama3` scaling as the tensor\n"
                "`rope_freqs.weight` (8 divisors: 1.7359413 for the smoothed frequency, then 8). Written by\n"
                "`scripts/make_llama31_gguf_fixture.py` with gguf 0.19.0 (byte-identical on rerun); its reference is\n"
                "this directory's `golden.safetensors` (`GGUFRopeFrequenciesTests`).\n\n"
                "`beam_stop.json` (in `llama-mha`, `llama-gqa`, `qwen2`, `llama31-rope`) is written by\n"
                "`scripts/make_beam_stop_fixtures.py` from these checkpoints: transformers' beam search with stop strings,\n"
                "4 cases a directory, and the same search without them (`without_stop`).\n"
                "`beam_heuristic.json` (same script): 4 beam searches over these checkpoints where transformers 5's early-stopping\n"
                "heuristic (best running beam) and 4.x's (best candidate, emulated) end differently; `expected` is 5.23's.\n")


if __name__ == "__main__":
    main()
