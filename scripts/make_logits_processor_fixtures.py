#!/usr/bin/env python3
"""Logit bias, minimum length and min-p as transformers computes them, for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/llama/logits_processors.json).

Greedy cases decode up to 10 tokens after the first 6 ids of each tiny random checkpoint's `input_ids` (those of
scripts/make_llama_fixtures.py, fp32) with transformers' own processors, composed in vLLM's order (which Lucid
follows): `SequenceBiasLogitsProcessor` with one-token sequences (OpenAI's `logit_bias`: the bias is added to the
token's logit), then `MinNewTokensLengthLogitsProcessor` (vLLM's `min_tokens`: the end tokens get -inf until that
many new tokens are out), then `RepetitionPenaltyLogitsProcessor`. Each records the tokens (the end token kept where
it ended generation) and the log-softmax of the processed scores at each chosen token. A case is kept only when its
tokens differ from plain greedy decoding with the same end token, so a decoder that ignores it fails.

- bias: +6 on a token plain greedy does not choose, -100 on plain greedy's first token;
- min length: the end token is plain greedy's third token, and at least 6 (or 3) new tokens come first;
- bias with a repetition penalty: the order matters ((logit + bias) / penalty), so it is pinned down.

Beam cases run transformers' beam search (`num_beams`, heuristic early stopping) with the same processors, which
it applies to each beam's log-probabilities over the prompt and that beam's tokens: the bias, the minimum length and
the repetition penalty (transformers' beam search has no presence or frequency penalty). Each records the tokens of
the best hypothesis and its score (`sequences_scores`: the sum of the processed log-probabilities over the length to
the power `length_penalty`). A case is kept only when its tokens differ from plain beam search with the same end
token and settings.

Context cases decode from the prompt's embeddings alone (`inputs_embeds=`, no `input_ids`), as LAVIS's and OPERA's
InstructBLIP call `generate`, with a repetition penalty of 1.5, greedy and with 3 beams. transformers then counts no
prompt token: current transformers starts `input_ids` empty (context `output`), and 4.29.2, the version OPERA's fork
pins, starts them as the beginning-of-sequence token (context `bos`). The script runs the second with transformers'
own `RepetitionPenaltyLogitsProcessor` over that token and the new ones (`Started`), taking as the
token plain decoding's first one in context `output`, so that the case tells `bos` from `output`. A case is kept
only when its tokens differ from the same penalty over the prompt (and, for `bos`, from context `output`).

Warper cases: seeded random logit rows [4, 50] through transformers' `TemperatureLogitsWarper`, `TopKLogitsWarper`,
`TopPLogitsWarper` and `MinPLogitsWarper`, in the order `generate` builds them, and the log-softmax of the result
(-inf where a token is ruled out).

Run: .venv-bench/bin/python scripts/make_logits_processor_fixtures.py
"""
import json
import math
import os

import torch
import transformers
from safetensors.torch import load_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "LucidModelsTests", "Fixtures", "llama")
CONFIGURATIONS = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]
NEW_TOKENS = 10
MIN_NEW_TOKENS = 6
# (temperature, top_k, top_p, min_p)
WARPER_SETTINGS = [(1.0, 0, 1.0, 0.1), (0.7, 0, 1.0, 0.3), (1.5, 20, 0.9, 0.05), (1.0, 0, 0.95, 1.0), (2.0, 10, 1.0, 0.0)]


def processors(prompt, bias=None, end=None, min_new_tokens=0, repetition=1.0):
    """transformers' processors for a logit bias, a minimum length and a repetition penalty, in vLLM's order."""
    chain = transformers.LogitsProcessorList()
    if bias:
        chain.append(transformers.SequenceBiasLogitsProcessor([[[token], value] for token, value in bias.items()]))
    if end is not None and min_new_tokens > 0:
        chain.append(transformers.MinNewTokensLengthLogitsProcessor(prompt.shape[1], min_new_tokens, end))
    if repetition != 1.0:
        chain.append(transformers.RepetitionPenaltyLogitsProcessor(repetition))
    return chain


def greedy(model, prompt, bias=None, end=None, min_new_tokens=0, repetition=1.0):
    out = model.generate(prompt, do_sample=False, max_new_tokens=NEW_TOKENS,
                         logits_processor=processors(prompt, bias, end, min_new_tokens, repetition),
                         eos_token_id=end, pad_token_id=0, output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, prompt.shape[1]:].tolist()
    logprobs = [torch.log_softmax(step[0].float(), -1)[token].item() for step, token in zip(out.scores, tokens)]
    return tokens, logprobs


def beam(model, prompt, beams, length_penalty, bias=None, end=None, min_new_tokens=0, repetition=1.0):
    out = model.generate(prompt, do_sample=False, num_beams=beams, early_stopping=False, length_penalty=length_penalty,
                         max_new_tokens=NEW_TOKENS, logits_processor=processors(prompt, bias, end, min_new_tokens, repetition),
                         eos_token_id=end, pad_token_id=0, attention_mask=torch.ones_like(prompt),
                         output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, prompt.shape[1]:].tolist()
    # Finished hypotheses shorter than the longest are padded with pad_token_id 0 after their end token.
    if end is not None and end in tokens:
        tokens = tokens[:tokens.index(end) + 1]
    return tokens, out.sequences_scores[0].item()


class Started(transformers.LogitsProcessor):
    """A transformers processor over `start` and the ids generation has (from `inputs_embeds` alone: the new tokens),
    as transformers 4.29's `input_ids` began with the BOS token where current ones begin empty."""

    def __init__(self, processor, start):
        self.processor = processor
        self.start = start

    def __call__(self, input_ids, scores):
        start = torch.tensor([self.start] * input_ids.shape[0], dtype=input_ids.dtype).reshape(input_ids.shape[0], len(self.start))
        return self.processor(torch.cat([start, input_ids], 1), scores)


def from_embeddings(model, prompt, beams, repetition, start):
    """Tokens from the prompt's embeddings alone with a repetition penalty over `start` and the new tokens."""
    processors = (transformers.LogitsProcessorList([Started(transformers.RepetitionPenaltyLogitsProcessor(repetition), start)])
                  if repetition != 1.0 else None)
    out = model.generate(inputs_embeds=model.get_input_embeddings()(prompt), attention_mask=torch.ones_like(prompt),
                         do_sample=False, num_beams=beams, early_stopping=False, max_new_tokens=NEW_TOKENS,
                         logits_processor=processors, eos_token_id=None, pad_token_id=0)
    return out[0].tolist()


def context_cases(name):
    directory = os.path.join(FIXTURES, name)
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    model.generation_config.eos_token_id = None
    ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
    repetition = 1.5
    cases = []
    for beams in [1, 3]:
        over_prompt = from_embeddings(model, ids, beams, repetition, ids[0].tolist())
        over_output = from_embeddings(model, ids, beams, repetition, [])
        bos = from_embeddings(model, ids, beams, 1.0, [])[0]
        over_bos = from_embeddings(model, ids, beams, repetition, [bos])
        for context, tokens, others in [("output", over_output, [over_prompt]), ("bos", over_bos, [over_prompt, over_output])]:
            if tokens in others:
                print(f"{name} {beams} beams, context {context}: same as another context, left out")
                continue
            cases.append({"configuration": name, "context": context, "bos": bos, "beams": beams, "prompt": ids[0].tolist(),
                          "repetition": repetition, "max_new_tokens": NEW_TOKENS, "tokens": tokens, "over_prompt": over_prompt})
    return cases


def greedy_cases(name):
    directory = os.path.join(FIXTURES, name)
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
    plain, _ = greedy(model, ids)
    end = plain[2]
    unused = next(token for token in range(model.config.vocab_size) if token not in plain and token not in ids[0].tolist())
    settings = [
        ("bias", {unused: 6.0, plain[0]: -100.0}, None, 0, 1.0),
        ("min length", {}, end, MIN_NEW_TOKENS, 1.0),
        ("short min length", {}, end, 3, 1.0),
        ("bias and repetition", {plain[1]: 2.5, plain[3]: -1.5}, None, 0, 1.4),
    ]
    cases = []
    for label, bias, case_end, min_new_tokens, repetition in settings:
        tokens, logprobs = greedy(model, ids, bias, case_end, min_new_tokens, repetition)
        reference, _ = greedy(model, ids, end=case_end)
        if tokens == reference:
            print(f"{name} {label}: same as plain greedy, left out")
            continue
        cases.append({"configuration": name, "label": label, "prompt": ids[0].tolist(),
                      "logit_bias": {str(token): value for token, value in bias.items()},
                      "eos": [] if case_end is None else [case_end], "min_new_tokens": min_new_tokens, "repetition": repetition,
                      "max_new_tokens": NEW_TOKENS, "tokens": tokens, "chosen_logprobs": logprobs, "plain_greedy": reference})
    return cases


def beam_cases(name):
    directory = os.path.join(FIXTURES, name)
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    model.generation_config.eos_token_id = None
    ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
    plain, _ = beam(model, ids, 3, 1.0)
    end = plain[2]
    unused = next(token for token in range(model.config.vocab_size) if token not in plain and token not in ids[0].tolist())
    # (label, beams, length_penalty, bias, end, min_new_tokens, repetition)
    settings = [
        ("bias", 3, 1.0, {unused: 6.0, plain[0]: -100.0}, None, 0, 1.0),
        ("min length", 3, 1.0, {}, end, MIN_NEW_TOKENS, 1.0),
        ("repetition", 3, 1.0, {}, None, 0, 1.5),
        ("all three", 4, 0.7, {plain[1]: 2.5, plain[3]: -1.5}, end, 4, 1.3),
    ]
    cases = []
    for label, beams, length_penalty, bias, case_end, min_new_tokens, repetition in settings:
        tokens, score = beam(model, ids, beams, length_penalty, bias, case_end, min_new_tokens, repetition)
        reference, _ = beam(model, ids, beams, length_penalty, end=case_end)
        if tokens == reference:
            print(f"{name} beam {label}: same as plain beam search, left out")
            continue
        cases.append({"configuration": name, "label": label, "prompt": ids[0].tolist(), "beams": beams,
                      "length_penalty": length_penalty, "logit_bias": {str(token): value for token, value in bias.items()},
                      "eos": [] if case_end is None else [case_end], "min_new_tokens": min_new_tokens, "repetition": repetition,
                      "max_new_tokens": NEW_TOKENS, "tokens": tokens, "score": score, "plain_beam": reference})
    return cases


def warper_cases():
    generator = torch.Generator().manual_seed(7)
    logits = torch.randn(4, 50, generator=generator) * 3
    cases = []
    for temperature, top_k, top_p, min_p in WARPER_SETTINGS:
        warpers = [transformers.TemperatureLogitsWarper(temperature)]
        if top_k > 0:
            warpers.append(transformers.TopKLogitsWarper(top_k))
        if top_p < 1:
            warpers.append(transformers.TopPLogitsWarper(top_p))
        if min_p > 0:
            warpers.append(transformers.MinPLogitsWarper(min_p))
        scores = logits.clone()
        for warper in warpers:
            scores = warper(None, scores)
        warped = torch.log_softmax(scores, -1)
        cases.append({"temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
                      "logits": logits.tolist(),
                      "logprobs": [[value if math.isfinite(value) else None for value in row] for row in warped.tolist()]})
    return cases


def main():
    torch.manual_seed(0)
    with torch.no_grad():
        greedy_list = [case for name in CONFIGURATIONS for case in greedy_cases(name)]
        beam_list = [case for name in CONFIGURATIONS for case in beam_cases(name)]
        context_list = [case for name in CONFIGURATIONS for case in context_cases(name)]
        warpers = warper_cases()
    document = {"transformers": transformers.__version__, "torch": torch.__version__,
                "script": "scripts/make_logits_processor_fixtures.py", "greedy": greedy_list, "beam": beam_list,
                "context": context_list, "warpers": warpers}
    with open(os.path.join(FIXTURES, "logits_processors.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(greedy_list)} greedy, {len(beam_list)} beam, {len(context_list)} context and {len(warpers)} warper cases written")


if __name__ == "__main__":
    main()
