#!/usr/bin/env python3
"""The n-gram ban (`no_repeat_ngram_size`) as transformers computes it, for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/llama/no_repeat_ngram.json).

transformers' `NoRepeatNGramLogitsProcessor` gives -inf to every token that would complete an n-gram its `input_ids`
already hold: a decoder's prompt and the tokens generated so far (from `inputs_embeds` alone, the generated tokens:
current transformers starts `input_ids` empty, 4.29.2 as the beginning-of-sequence token).

- bans: seeded random id sequences over a small vocabulary through the processor itself, and the ids it bans, for
  n = 1 … 4 (a 1-gram ban bans every id the sequence holds; none while the sequence is shorter than n).
- greedy: 30 tokens after the first 6 ids of each tiny random checkpoint's `input_ids` (scripts/make_llama_fixtures.py,
  fp32), `generate(no_repeat_ngram_size=n)` for n = 1, 2, 3, and n = 2 with `repetition_penalty` 1.3 (transformers
  runs the penalty, then the ban). Each records the tokens and the log-softmax of the processed scores at each chosen
  token.
- beam: 3 beams (heuristic early stopping, length penalty 1), n = 2 and 3; the best hypothesis's tokens and score
  (`sequences_scores`). transformers applies the ban to each beam over the prompt and that beam's tokens.
- context: greedy and 3 beams from the prompt's embeddings alone with n = 1 and 2: context `output` (current transformers)
  and context `bos` (4.29.2; transformers' own processor over the beginning-of-sequence token and the new ones, taking
  as that token plain decoding's first one, so that the case tells `bos` from `output`).

A decoding case is kept only when its tokens differ from the same decoding without the ban (and a context case,
from the ban over the prompt), so a decoder that ignores it fails. No end token: every case runs 30 tokens.

Run: .venv-bench/bin/python scripts/make_ngram_fixtures.py
"""
import json
import math
import os

import torch
import transformers
from safetensors.torch import load_file

from make_logits_processor_fixtures import Started

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "LucidModelsTests", "Fixtures", "llama")
CONFIGURATIONS = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]
NEW_TOKENS = 30


def load(name):
    directory = os.path.join(FIXTURES, name)
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    model.generation_config.eos_token_id = None
    ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
    return model, ids


def ban_cases():
    generator = torch.Generator().manual_seed(11)
    cases = []
    for n in [1, 2, 3, 4]:
        for length in [n - 1, n, 9, 16]:
            if length < 1:
                continue
            sequence = torch.randint(0, 5, (1, length), generator=generator)
            scores = transformers.NoRepeatNGramLogitsProcessor(n)(sequence, torch.zeros(1, 6))
            banned = [token for token in range(6) if math.isinf(scores[0, token].item())]
            cases.append({"n": n, "sequence": sequence[0].tolist(), "banned": banned})
    return cases


def greedy(model, ids, n, repetition=1.0):
    out = model.generate(ids, do_sample=False, max_new_tokens=NEW_TOKENS, no_repeat_ngram_size=n, repetition_penalty=repetition,
                         pad_token_id=0, attention_mask=torch.ones_like(ids), output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, ids.shape[1]:].tolist()
    logprobs = [torch.log_softmax(step[0].float(), -1)[token].item() for step, token in zip(out.scores, tokens)]
    return tokens, logprobs


def beam(model, ids, n):
    out = model.generate(ids, do_sample=False, num_beams=3, early_stopping=False, length_penalty=1.0, max_new_tokens=NEW_TOKENS,
                         no_repeat_ngram_size=n, pad_token_id=0, attention_mask=torch.ones_like(ids),
                         output_scores=True, return_dict_in_generate=True)
    return out.sequences[0, ids.shape[1]:].tolist(), out.sequences_scores[0].item()


def from_embeddings(model, ids, beams, n, start):
    processors = transformers.LogitsProcessorList([Started(transformers.NoRepeatNGramLogitsProcessor(n), start)]) if n > 0 else None
    out = model.generate(inputs_embeds=model.get_input_embeddings()(ids), attention_mask=torch.ones_like(ids), do_sample=False,
                         num_beams=beams, early_stopping=False, max_new_tokens=NEW_TOKENS, logits_processor=processors,
                         eos_token_id=None, pad_token_id=0)
    return out[0].tolist()


def decoding_cases(name):
    model, ids = load(name)
    greedy_list, beam_list, context_list = [], [], []
    plain, _ = greedy(model, ids, 0)
    for n, repetition in [(1, 1.0), (2, 1.0), (3, 1.0), (2, 1.3)]:
        tokens, logprobs = greedy(model, ids, n, repetition)
        reference, _ = greedy(model, ids, 0, repetition)
        if tokens == reference:
            print(f"{name} greedy n={n} repetition={repetition}: same as without the ban, left out")
            continue
        greedy_list.append({"configuration": name, "n": n, "repetition": repetition, "prompt": ids[0].tolist(),
                            "max_new_tokens": NEW_TOKENS, "tokens": tokens, "chosen_logprobs": logprobs, "unbanned": reference})
    plain_beam, _ = beam(model, ids, 0)
    for n in [2, 3]:
        tokens, score = beam(model, ids, n)
        if tokens == plain_beam:
            print(f"{name} beam n={n}: same as without the ban, left out")
            continue
        beam_list.append({"configuration": name, "n": n, "beams": 3, "prompt": ids[0].tolist(), "max_new_tokens": NEW_TOKENS,
                          "tokens": tokens, "score": score, "unbanned": plain_beam})
    for n, beams in [(1, 1), (1, 3), (2, 1), (2, 3)]:
        over_prompt = from_embeddings(model, ids, beams, n, ids[0].tolist())
        over_output = from_embeddings(model, ids, beams, n, [])
        bos = from_embeddings(model, ids, beams, 0, [])[0]
        over_bos = from_embeddings(model, ids, beams, n, [bos])
        for context, tokens, others in [("output", over_output, [over_prompt]), ("bos", over_bos, [over_prompt, over_output])]:
            if tokens in others:
                print(f"{name} n={n}, {beams} beams, context {context}: same as another context, left out")
                continue
            context_list.append({"configuration": name, "context": context, "bos": bos, "beams": beams, "n": n,
                                 "prompt": ids[0].tolist(), "max_new_tokens": NEW_TOKENS, "tokens": tokens, "over_prompt": over_prompt})
    return greedy_list, beam_list, context_list


def main():
    torch.manual_seed(0)
    document = {"transformers": transformers.__version__, "torch": torch.__version__, "script": "scripts/make_ngram_fixtures.py",
                "bans": ban_cases(), "greedy": [], "beam": [], "context": []}
    with torch.no_grad():
        for name in CONFIGURATIONS:
            greedy_list, beam_list, context_list = decoding_cases(name)
            document["greedy"] += greedy_list
            document["beam"] += beam_list
            document["context"] += context_list
    with open(os.path.join(FIXTURES, "no_repeat_ngram.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(document['bans'])} ban, {len(document['greedy'])} greedy, {len(document['beam'])} beam and "
          f"{len(document['context'])} context cases written")


if __name__ == "__main__":
    main()
