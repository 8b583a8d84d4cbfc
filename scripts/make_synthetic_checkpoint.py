#!/usr/bin/env python3
"""Writes a random-weight checkpoint with the exact shapes and key names of llava-hf/llava-1.5-7b-hf.

The published config (CLIP ViT-L/14-336 vision tower + Vicuna-7B): vision 24 layers, hidden 1024,
intermediate 4096, 16 heads, 336 px, patch 14; projector 1024 → 4096 → 4096 (GELU); language model
32 layers, hidden 4096, intermediate 11008, 32 heads, vocab 32064, RMSNorm eps 1e-5;
image_token_index 32000, vision_feature_layer -2, strategy "default". Keys are those of the Hub's
safetensors (language_model.model.*, language_model.lm_head.weight, vision_tower.vision_model.*,
multi_modal_projector.*), written in bf16 as shards of at most 5 GB (save_pretrained's default)
with model.safetensors.index.json, as the Hub ships it (three shards). Weights are N(0, 0.02²)
from a seeded generator, norms 1, biases 0, so activations stay finite; the values mean nothing.

    python scripts/make_synthetic_checkpoint.py OUT [--layers N] [--seed S]
    python scripts/make_synthetic_checkpoint.py OUT --check [--layers N]

--check writes nothing: it exits 0 when OUT already holds this checkpoint (config, index, and shards
whose headers list exactly the expected names, shapes and bf16 dtype, each file as long as its header
says), else prints what differs and exits 1 (scripts/bench.sh reuses a cached copy this way).

--layers shrinks the language model (for a quick check); the default is the real 32. Needs torch
(the bench venv). Tensors are generated and written one at a time, so memory stays near the
largest tensor (the 32064 × 4096 embedding), not the checkpoint.
"""
import argparse
import json
import os
import struct

import torch

VISION = dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24,
              image_size=336, patch_size=14, projection_dim=768, layer_norm_eps=1e-5, hidden_act="quick_gelu",
              model_type="clip_vision_model", num_channels=3)
TEXT = dict(hidden_size=4096, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32,
            num_hidden_layers=32, vocab_size=32064, rms_norm_eps=1e-5, max_position_embeddings=4096,
            rope_theta=10000.0, model_type="llama", hidden_act="silu", tie_word_embeddings=False,
            bos_token_id=1, eos_token_id=2, pad_token_id=32001)
SHARD_BYTES = 5 * 10**9


def tensors(layers):
    """(name, shape, kind) in the order transformers' state_dict lists them; kind: weight | norm | bias."""
    v, t = VISION, TEXT
    d, i = v["hidden_size"], v["intermediate_size"]
    patches = (v["image_size"] // v["patch_size"]) ** 2
    out = [("vision_tower.vision_model.embeddings.class_embedding", [d], "weight"),
           ("vision_tower.vision_model.embeddings.patch_embedding.weight", [d, 3, v["patch_size"], v["patch_size"]], "weight"),
           ("vision_tower.vision_model.embeddings.position_embedding.weight", [patches + 1, d], "weight"),
           ("vision_tower.vision_model.pre_layrnorm.weight", [d], "norm"),
           ("vision_tower.vision_model.pre_layrnorm.bias", [d], "bias")]
    for n in range(v["num_hidden_layers"]):
        p = f"vision_tower.vision_model.encoder.layers.{n}."
        for proj in ["k_proj", "v_proj", "q_proj", "out_proj"]:
            out += [(p + f"self_attn.{proj}.weight", [d, d], "weight"), (p + f"self_attn.{proj}.bias", [d], "bias")]
        out += [(p + "layer_norm1.weight", [d], "norm"), (p + "layer_norm1.bias", [d], "bias"),
                (p + "mlp.fc1.weight", [i, d], "weight"), (p + "mlp.fc1.bias", [i], "bias"),
                (p + "mlp.fc2.weight", [d, i], "weight"), (p + "mlp.fc2.bias", [d], "bias"),
                (p + "layer_norm2.weight", [d], "norm"), (p + "layer_norm2.bias", [d], "bias")]
    out += [("vision_tower.vision_model.post_layernorm.weight", [d], "norm"),
            ("vision_tower.vision_model.post_layernorm.bias", [d], "bias")]
    h, m = t["hidden_size"], t["intermediate_size"]
    out += [("multi_modal_projector.linear_1.weight", [h, d], "weight"), ("multi_modal_projector.linear_1.bias", [h], "bias"),
            ("multi_modal_projector.linear_2.weight", [h, h], "weight"), ("multi_modal_projector.linear_2.bias", [h], "bias")]
    out.append(("language_model.model.embed_tokens.weight", [t["vocab_size"], h], "weight"))
    for n in range(layers):
        p = f"language_model.model.layers.{n}."
        out += [(p + f"self_attn.{proj}.weight", [h, h], "weight") for proj in ["q_proj", "k_proj", "v_proj", "o_proj"]]
        out += [(p + "mlp.gate_proj.weight", [m, h], "weight"), (p + "mlp.up_proj.weight", [m, h], "weight"),
                (p + "mlp.down_proj.weight", [h, m], "weight"),
                (p + "input_layernorm.weight", [h], "norm"), (p + "post_attention_layernorm.weight", [h], "norm")]
    out += [("language_model.model.norm.weight", [h], "norm"), ("language_model.lm_head.weight", [t["vocab_size"], h], "weight")]
    return out


def nbytes(shape):
    count = 1
    for s in shape:
        count *= s
    return count * 2  # bf16


def check(out, layers):
    """Problems that keep OUT from being the checkpoint main() writes with `layers` (empty: none)."""
    index_path = os.path.join(out, "model.safetensors.index.json")
    for name in ["config.json", "model.safetensors.index.json"]:
        if not os.path.isfile(os.path.join(out, name)):
            return [f"{name} is missing"]
    with open(index_path) as f:
        index = json.load(f)
    expected = {key: shape for key, shape, _ in tensors(layers)}
    problems, found = [], {}
    for shard in sorted(set(index.get("weight_map", {}).values())):
        path = os.path.join(out, shard)
        if not os.path.isfile(path):
            problems.append(f"{shard} is missing")
            continue
        with open(path, "rb") as f:
            length = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(length))
        end = 0
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            if entry["dtype"] != "BF16":
                problems.append(f"{key} is {entry['dtype']}, not BF16")
            found[key] = entry["shape"]
            end = max(end, entry["data_offsets"][1])
        if os.path.getsize(path) != 8 + length + end:
            problems.append(f"{shard} is {os.path.getsize(path)} bytes, its header says {8 + length + end}")
    if found != expected:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        wrong = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
        problems.append(f"tensors differ: {len(missing)} missing {missing[:3]}, {len(extra)} unexpected {extra[:3]}, "
                        f"{len(wrong)} of another shape {wrong[:3]}")
    total = sum(nbytes(shape) for shape in expected.values())
    if index.get("metadata", {}).get("total_size") != total:
        problems.append(f"index total_size {index.get('metadata', {}).get('total_size')} is not {total}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=TEXT["num_hidden_layers"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="verify OUT instead of writing it")
    args = parser.parse_args()
    if not 1 <= args.layers <= TEXT["num_hidden_layers"]:
        parser.error(f"--layers must be in 1…{TEXT['num_hidden_layers']}")
    if args.check:
        problems = check(args.out, args.layers) if os.path.isdir(args.out) else [f"{args.out} is not a directory"]
        for problem in problems:
            print(f"{args.out}: {problem}")
        if not problems:
            print(f"{args.out}: the expected checkpoint ({len(tensors(args.layers))} tensors)")
        raise SystemExit(1 if problems else 0)
    os.makedirs(args.out, exist_ok=True)
    items = tensors(args.layers)
    shards, current, size = [], [], 0
    for item in items:
        b = nbytes(item[1])
        if current and size + b > SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
        current.append(item)
        size += b
    shards.append(current)
    generator = torch.Generator().manual_seed(args.seed)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        name = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for key, shape, _ in shard:
            header[key] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + nbytes(shape)]}
            offset += nbytes(shape)
            weight_map[key] = name
        total += offset
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for key, shape, kind in shard:
                if kind == "norm":
                    value = torch.ones(shape, dtype=torch.bfloat16)
                elif kind == "bias":
                    value = torch.zeros(shape, dtype=torch.bfloat16)
                else:
                    value = (torch.randn(shape, generator=generator) * 0.02).to(torch.bfloat16)
                f.write(value.contiguous().view(torch.int16).numpy().tobytes())
        print(f"wrote {name}: {len(shard)} tensors, {offset / 1e9:.2f} GB", flush=True)
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    text = dict(TEXT, num_hidden_layers=args.layers)
    config = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "ignore_index": -100,
              "image_token_index": 32000, "projector_hidden_act": "gelu", "vision_feature_layer": -2,
              "vision_feature_select_strategy": "default", "torch_dtype": "bfloat16",
              "text_config": text, "vision_config": VISION, "pad_token_id": 32001}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    params = sum(nbytes(s) // 2 for _, s, _ in items)
    print(f"{len(items)} tensors, {params:,} parameters, {total:,} bytes in {len(shards)} shards → {args.out}")


if __name__ == "__main__":
    main()
