#!/usr/bin/env python3
"""Reference outputs of SmolLM2-135M-Instruct for Lucid's GGUF conformance tests
(Tests/LucidModelsTests/Fixtures/smollm2/reference.safetensors + prompts.json).

transformers' own GGUF loader mis-read this Q4_1 file when we tried it, so the reference is built
by hand: the `gguf` package dequantises every tensor, llama.cpp's q/k row permutation is undone,
and the state dict is loaded into a transformers `LlamaForCausalLM` (fp32, eager attention).
The tokenizer is rebuilt from the GGUF vocabulary and merges with HF `tokenizers` (byte-level BPE,
digits split individually, as SmolLM2's tokenizer.json does) and prompts are rendered with the
chat template stored in the GGUF (jinja2).

Records per prompt: the token ids, the last-position logits, and 32 greedy tokens.
Run: .venv-bench/bin/python scripts/make_smollm2_fixtures.py [GGUF]  (default: $LUCID_SMOLLM2_GGUF
or ~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf).
"""
import json
import os
import sys

import gguf
import jinja2
import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, AddedToken

OUT = os.path.join("Tests", "LucidModelsTests", "Fixtures", "smollm2")
PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "List three primary colors.",
]


def field(reader, key):
    f = reader.fields[key]
    if len(f.types) == 1 and f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    return f.parts[f.data[0]][0].item()


def tokenizer_from_gguf(reader):
    tokens = field(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in field(reader, "tokenizer.ggml.merges")]
    types = field(reader, "tokenizer.ggml.token_type")
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, k in zip(tokens, types) if k == 3])
    return tok


def model_from_gguf(reader):
    arch = "llama"
    heads = field(reader, f"{arch}.attention.head_count")
    kv_heads = field(reader, f"{arch}.attention.head_count_kv")
    config = transformers.LlamaConfig(
        vocab_size=len(field(reader, "tokenizer.ggml.tokens")),
        hidden_size=field(reader, f"{arch}.embedding_length"),
        intermediate_size=field(reader, f"{arch}.feed_forward_length"),
        num_hidden_layers=field(reader, f"{arch}.block_count"),
        num_attention_heads=heads, num_key_value_heads=kv_heads,
        rms_norm_eps=field(reader, f"{arch}.attention.layer_norm_rms_epsilon"),
        rope_theta=field(reader, f"{arch}.rope.freq_base"),
        max_position_embeddings=field(reader, f"{arch}.context_length"),
        tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
    config._attn_implementation = "eager"
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight"}
    per_layer = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
    state = {}
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = tuple(int(x) for x in reversed(t.shape.tolist()))
        w = torch.from_numpy(values.reshape(shape).copy())
        if t.name in names:
            name = names[t.name]
        else:
            _, layer, kind, suffix = t.name.split(".")
            name = f"model.layers.{layer}.{per_layer[kind]}.{suffix}"
            if kind in ("attn_q", "attn_k"):
                n = heads if kind == "attn_q" else kv_heads
                w = w.reshape(n, w.shape[0] // n // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
        state[name] = w
    model = transformers.LlamaForCausalLM(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    model.tie_weights()
    return model.eval()


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "LUCID_SMOLLM2_GGUF", os.path.expanduser("~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    torch.set_num_threads(1)
    reader = gguf.GGUFReader(path)
    tokenizer = tokenizer_from_gguf(reader)
    template = jinja2.Environment().from_string(field(reader, "tokenizer.chat_template"))
    model = model_from_gguf(reader)
    os.makedirs(OUT, exist_ok=True)
    tensors, records = {}, []
    for i, prompt in enumerate(PROMPTS):
        text = template.render(messages=[{"role": "user", "content": prompt}], add_generation_prompt=True)
        ids = tokenizer.encode(text).ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
            # EOS is disabled (32 tokens are compared even past <|im_end|>), and the attention mask is
            # explicit: with pad_token_id = 2 = <|im_end|>, transformers would otherwise infer a mask
            # that hides every <|im_end|> of the chat prompt.
            model.generation_config.eos_token_id = None
            out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 max_new_tokens=32, do_sample=False, num_beams=1, pad_token_id=0)
        greedy = out[0, len(ids):].tolist()
        tensors[f"prompt{i}.input_ids"] = torch.tensor(ids)
        tensors[f"prompt{i}.last_logits"] = logits.contiguous()
        tensors[f"prompt{i}.greedy"] = torch.tensor(greedy)
        records.append({"prompt": prompt, "rendered": text, "input_ids": ids, "greedy": greedy,
                        "greedy_text": tokenizer.decode(greedy)})
        print(f"{prompt!r} -> {tokenizer.decode(greedy)!r}", file=sys.stderr)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "prompts.json"), "w") as f:
        json.dump({"generator": f"transformers {transformers.__version__}, torch {torch.__version__}, gguf",
                   "prompts": records}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
