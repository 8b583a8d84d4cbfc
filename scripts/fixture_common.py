"""What the LLaVA-OneVision and SigLIP-LLaVA fixture scripts share (imported by them, not run).

- `tiny_siglip_qwen2()`: the tiny SigLIP tower (32 px / 8 px patches, no head) and Qwen2 decoder both use;
- `randomize(model)`: weights drawn from the seeded global generator (std 0.3; norms 1 ± 0.1), as every
  fixture script since make_llava_next_fixtures.py does, so decisions are not ties;
- `eager(config)`: eager attention everywhere (what Lucid's attention captures compare with);
- `EagerAfterThePrompt(model)`: a logits processor that switches `generate` to eager attention after the
  prompt's pass, as Lucid's fused attention runs only prompts through the fused kernel (also used by
  make_bf16_fixtures.py and make_vlm_reduced_precision_fixtures.py);
- `record_causal_lm(model, ids)`: a causal LM's goldens for a 12-token prompt (make_llama_fixtures.py,
  make_sliding_window_fixtures.py);
- `record(golden, name, model, prompt, image_token, count, inputs)`: the prompt with its placeholder
  expanded to `count`, then its logits, hidden states, 8 greedy tokens and a 3-beam search (6 tokens,
  EOS 2, early stopping), under `<name>.*`;
- `expand_placeholders(prompt, token, counts)`: a prompt with one `token` per image, each expanded to its
  image's count, as a processor writes it (the multi-image fixture scripts).
"""
import torch
import transformers


def tiny_siglip_qwen2():
    vision = transformers.SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                             num_attention_heads=4, image_size=32, patch_size=8, vision_use_head=False)
    text = transformers.Qwen2Config(vocab_size=150, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                                    rope_theta=10000.0, max_position_embeddings=512, bos_token_id=1,
                                    eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
    return vision, text


def eager(config):
    config._attn_implementation = "eager"
    config.text_config._attn_implementation = "eager"
    config.vision_config._attn_implementation = "eager"
    return config


class EagerAfterThePrompt(transformers.LogitsProcessor):
    """Leaves the scores alone; on its first call (after the prompt's forward pass) switches `model` to eager
    attention, so `generate` runs the prompt in the attention it was loaded with and every new token eagerly."""

    def __init__(self, model):
        self.model = model
        self.switched = False

    def __call__(self, input_ids, scores):
        if not self.switched:  # a VLM's top-level config may say eager while its language model's says sdpa
            self.model.set_attn_implementation("eager")
            assert all(m.config._attn_implementation == "eager" for m in self.model.modules()
                       if isinstance(m, transformers.PreTrainedModel))
            self.switched = True
        return scores


def record_causal_lm(model, ids):
    """For `ids` [1, 12]: `input_ids`, `logits`, every `attentions.{l}` and `hidden_states.{i}`, `cached_logits`
    (a prefill of 8, then 4 cached steps), `greedy` (10 tokens after the first 6 ids, no EOS) and `beam3` (3 beams,
    8 tokens, EOS 2, early stopping, length penalty 1)."""
    golden = {"input_ids": ids}
    with torch.no_grad():
        out = model(ids, output_attentions=True, output_hidden_states=True, use_cache=False)
        golden["logits"] = out.logits
        for layer, attention in enumerate(out.attentions):
            golden[f"attentions.{layer}"] = attention
        for layer, hidden in enumerate(out.hidden_states):
            golden[f"hidden_states.{layer}"] = hidden
        prefill = model(ids[:, :8], use_cache=True)
        past, steps = prefill.past_key_values, [prefill.logits]
        for t in range(8, 12):
            step = model(ids[:, t:t + 1], past_key_values=past, use_cache=True)
            past = step.past_key_values
            steps.append(step.logits)
        golden["cached_logits"] = torch.cat(steps, dim=1)
        prompt = ids[:, :6]
        golden["greedy"] = model.generate(prompt, max_new_tokens=10, do_sample=False, num_beams=1, eos_token_id=None,
                                          pad_token_id=0)[:, 6:]
        golden["beam3"] = model.generate(prompt, max_new_tokens=8, do_sample=False, num_beams=3, early_stopping=True,
                                         length_penalty=1.0, eos_token_id=2, pad_token_id=0)[:, 6:]
    return golden


def randomize(model):
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname and pname.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))


def record(golden, name, model, prompt, image_token, count, inputs):
    at = prompt.index(image_token)
    expanded = torch.tensor([prompt[:at] + [image_token] * count + prompt[at + 1:]])
    with torch.no_grad():
        out = model(input_ids=expanded, **inputs, output_hidden_states=True, use_cache=False)
        greedy = model.generate(input_ids=expanded, **inputs, max_new_tokens=8, do_sample=False, num_beams=1,
                                eos_token_id=None, pad_token_id=0)
        beam = model.generate(input_ids=expanded, **inputs, max_new_tokens=6, do_sample=False, num_beams=3,
                              early_stopping=True, eos_token_id=2, pad_token_id=0)
    golden[f"{name}.input_ids"] = torch.tensor([prompt])
    golden[f"{name}.logits"] = out.logits
    for layer, hidden in enumerate(out.hidden_states):
        golden[f"{name}.hidden_states.{layer}"] = hidden
    golden[f"{name}.greedy"] = greedy[:, expanded.shape[1]:]
    golden[f"{name}.beam3"] = beam[:, expanded.shape[1]:]


def expand_placeholders(prompt, token, counts):
    """`prompt` with its i-th `token` repeated `counts[i]` times."""
    expanded, image = [], 0
    for item in prompt:
        if item == token:
            expanded += [token] * counts[image]
            image += 1
        else:
            expanded.append(item)
    return expanded
