#!/usr/bin/env python3
"""Writes a Llama-architecture checkpoint whose shards are sparse files: real safetensors headers
(bf16 tensors with Llama key names and shapes), then a hole as long as the tensors.

It takes almost no disk and no time, so a loader's up-front memory check can be tried on a model far
larger than the machine (the data reads as zeros; nothing should ever get that far). Shards of at most
5 GB with `model.safetensors.index.json`, as the Hub ships them; no tokenizer.

    scripts/make_sparse_checkpoint.py OUT                 Llama-2-70B's shape (138 GB in bf16)
    scripts/make_sparse_checkpoint.py OUT --layers 100    the same with 100 layers (172 GB)

Standard library only. Tests/LucidModelsTests/MemoryBudgetTests.swift writes LLaMA-13B's shape the
same way in Swift.
"""
import argparse
import json
import os
import struct
import sys


def tensors(hidden, intermediate, layers, heads, kv_heads, vocab):
    head_dim = hidden // heads
    yield "model.embed_tokens.weight", [vocab, hidden]
    for layer in range(layers):
        p = f"model.layers.{layer}."
        yield p + "self_attn.q_proj.weight", [hidden, hidden]
        yield p + "self_attn.k_proj.weight", [kv_heads * head_dim, hidden]
        yield p + "self_attn.v_proj.weight", [kv_heads * head_dim, hidden]
        yield p + "self_attn.o_proj.weight", [hidden, hidden]
        yield p + "mlp.gate_proj.weight", [intermediate, hidden]
        yield p + "mlp.up_proj.weight", [intermediate, hidden]
        yield p + "mlp.down_proj.weight", [hidden, intermediate]
        yield p + "input_layernorm.weight", [hidden]
        yield p + "post_attention_layernorm.weight", [hidden]
    yield "model.norm.weight", [hidden]
    yield "lm_head.weight", [vocab, hidden]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--hidden", type=int, default=8192)
    parser.add_argument("--intermediate", type=int, default=28672)
    parser.add_argument("--layers", type=int, default=80)
    parser.add_argument("--heads", type=int, default=64)
    parser.add_argument("--kv-heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--shard-bytes", type=int, default=5_000_000_000)
    args = parser.parse_args()
    for name in ("hidden", "intermediate", "layers", "heads", "kv_heads", "vocab", "shard_bytes"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.hidden % args.heads or args.heads % args.kv_heads:
        parser.error("--hidden must be a multiple of --heads, and --heads of --kv-heads")

    shards, current, size = [], [], 0
    for name, shape in tensors(args.hidden, args.intermediate, args.layers, args.heads, args.kv_heads, args.vocab):
        nbytes = 2
        for d in shape:
            nbytes *= d
        if current and size + nbytes > args.shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape, nbytes))
        size += nbytes
    shards.append(current)

    os.makedirs(args.out, exist_ok=True)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map, total = {}, 0
    for shard, file_name in zip(shards, names):
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for name, shape, nbytes in shard:
            header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + nbytes]}
            weight_map[name] = file_name
            offset += nbytes
        total += offset
        encoded = json.dumps(header, sort_keys=True).encode()
        encoded += b" " * (-len(encoded) % 8)
        with open(os.path.join(args.out, file_name), "wb") as f:
            f.write(struct.pack("<Q", len(encoded)) + encoded)
            f.truncate(8 + len(encoded) + offset)
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, sort_keys=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": args.hidden,
              "intermediate_size": args.intermediate, "num_hidden_layers": args.layers,
              "num_attention_heads": args.heads, "num_key_value_heads": args.kv_heads, "vocab_size": args.vocab,
              "rms_norm_eps": 1e-5, "max_position_embeddings": 4096, "tie_word_embeddings": False,
              "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"{args.out}: {len(weight_map)} tensors, {total / 2:,.0f} parameters, {total / 1e9:.2f} GB in bf16, "
          f"{len(shards)} sparse shards", file=sys.stderr)


if __name__ == "__main__":
    main()
