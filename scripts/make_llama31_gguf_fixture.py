#!/usr/bin/env python3
"""GGUF copies of the `llama31-rope` and `qwen3` fixtures, written as llama.cpp's converter writes a Llama 3.1 and a
Qwen3 checkpoint (Tests/LucidModelsTests/Fixtures/llama/{llama31-rope,qwen3}/model.gguf).

llama.cpp has no `rope_scaling` metadata for Llama 3's scaling: `convert_hf_to_gguf.py` (LlamaModel,
`rope_type: llama3`) stores it as a tensor `rope_freqs.weight` of one f32 divisor per rotary frequency
(1 where the wavelength is under `original_max_position_embeddings / high_freq_factor`, `factor` where it is
over `... / low_freq_factor`, and `1 / ((1 - smooth) / factor + smooth)` between), and ggml's rope divides each
frequency's angle by it (`freq_factors`). This script computes those divisors the same way (the converter's
float32 frequencies, its float32 arithmetic), and writes the fixture's f32 weights with the converter's q/k
row permutation and llama.cpp's tensor names and `llama.*` keys. The Qwen3 copy has the `qwen3` architecture: no row
permutation (the converter permutes only `llama`), the per-head norms as `attn_q_norm` / `attn_k_norm`, and its
head width only as `attention.key_length` (the converter adds `rope.dimension_count` for `llama` alone). No
tokenizer: the tests feed the goldens' ids.

The reference is each fixture's `golden.safetensors` (transformers on the safetensors checkpoint): the GGUF's
logits must match it within the f32 tolerance (for Llama 3.1 the divisors give the same frequencies as
transformers' llama3 formula up to f32 rounding).

Run from the repository root:  .venv-bench/bin/python scripts/make_llama31_gguf_fixture.py
(`scripts/setup.sh --bench` creates the venv: gguf 0.19.0, torch as Lucid links). Deterministic.
"""
import json
import math
import os

import gguf
import numpy as np
import torch
from safetensors.torch import load_file

FIXTURE = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llama", "llama31-rope")


def rope_divisors(config):
    """One divisor per rotary frequency, as llama.cpp's converter computes `rope_freqs` for `rope_type: llama3`."""
    rope = config["rope_parameters"]
    base = rope["rope_theta"]
    dim = config["head_dim"]
    frequencies = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    factor, low, high = rope["factor"], rope["low_freq_factor"], rope["high_freq_factor"]
    context = rope["original_max_position_embeddings"]
    divisors = []
    for frequency in frequencies:
        wavelength = 2 * math.pi / frequency  # a float32 tensor, as in the converter
        if wavelength < context / high:
            divisors.append(1.0)
        elif wavelength > context / low:
            divisors.append(factor)
        else:
            smooth = (context / wavelength - low) / (high - low)
            divisors.append(float(1 / ((1 - smooth) / factor + smooth)))
    return np.array(divisors, dtype=np.float32)


def permuted(weight, heads):
    """llama.cpp's converter stores each head's q/k rows interleaved ([d/2, 2] instead of [2, d/2])."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def write(name, arch):
    """`Fixtures/llama/NAME/model.gguf` from that fixture's safetensors, as the converter writes `arch`."""
    fixture = os.path.join(os.path.dirname(FIXTURE), name)
    with open(os.path.join(fixture, "model", "config.json")) as f:
        config = json.load(f)
    weights = {key: tensor.numpy() for key, tensor in load_file(os.path.join(fixture, "model", "model.safetensors")).items()}
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    writer = gguf.GGUFWriter(os.path.join(fixture, "model.gguf"), arch)
    writer.add_name(f"lucid {name} fixture")
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    if "head_dim" in config:  # every converter (TextModel) writes key and value widths from head_dim
        writer.add_key_length(config["head_dim"])
        writer.add_value_length(config["head_dim"])
    if arch == "llama":  # LlamaModel adds the rotary width; Qwen2Model (and Qwen3Model) do not
        writer.add_rope_dimension_count(config["head_dim"])
    writer.add_rope_freq_base(config["rope_parameters"]["rope_theta"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_vocab_size(config["vocab_size"])
    writer.add_bos_token_id(config["bos_token_id"])
    writer.add_eos_token_id(config["eos_token_id"])
    writer.add_tensor("token_embd.weight", weights["model.embed_tokens.weight"])
    if config["rope_parameters"].get("rope_type") == "llama3":
        writer.add_tensor("rope_freqs.weight", rope_divisors(config))
    for layer in range(config["num_hidden_layers"]):
        hf = f"model.layers.{layer}."
        names = {
            "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
            "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
            "ffn_down.weight": "mlp.down_proj.weight",
        }
        if arch == "qwen3":  # Qwen3's per-head q/k norms; only the llama architecture permutes q/k rows
            names.update({"attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
                          "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight"})
        else:
            writer.add_tensor(f"blk.{layer}.attn_q.weight", permuted(weights[hf + "self_attn.q_proj.weight"], heads))
            writer.add_tensor(f"blk.{layer}.attn_k.weight", permuted(weights[hf + "self_attn.k_proj.weight"], kv_heads))
        for gguf_name, source in names.items():
            writer.add_tensor(f"blk.{layer}.{gguf_name}", weights[hf + source])
    writer.add_tensor("output_norm.weight", weights["model.norm.weight"])
    writer.add_tensor("output.weight", weights["lm_head.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    write("llama31-rope", "llama")
    write("qwen3", "qwen3")
    print("divisors", rope_divisors(json.load(open(os.path.join(FIXTURE, "model", "config.json")))).tolist())


if __name__ == "__main__":
    main()
