#!/usr/bin/env python3
"""Beam search with stop strings, as transformers runs it, for Lucid's conformance tests
(Tests/LucidModelsTests/Fixtures/llama/<name>/beam_stop.json).

transformers' `_beam_search` checks its stopping criteria, stop strings included, on each of the top
2·beams candidates of a step: one that completes a stop string ends as a finished hypothesis (its
token kept) when it ranks among the top `beams`, and is dropped otherwise, as an EOS candidate is. This
script runs that on the tiny random checkpoints of scripts/make_llama_fixtures.py (fp32, so Lucid
matches them token for token) with a tokenizer made for the purpose: token id i is the i-th string of
the bijective base-6 numbering over "abcdef" (0 "a", 5 "f", 6 "aa", 7 "ab", …), so stop strings can
end inside a token and run across several. `StopStringCriteria.clean_tokenizer_vocab` is checked to
read exactly those strings.

Cases are chosen by the script, not by hand: for each checkpoint, stop strings of two and three
letters that never touch the prompt's text (transformers also matches across the prompt's last
tokens; Lucid matches the generated text only) are tried in order, and the first ones whose
transformers result differs from the other rule (search without stop strings, then cut at the first
completion) are kept, so each case tells the two rules apart. The early-stopping modes and length
penalties of the EOS fixtures are covered, with and without EOS 2.

Also writes `beam_heuristic.json` (in Tests/LucidModelsTests/Fixtures/llama): beam searches where transformers
5's early-stopping heuristic, which judges by the best beam that runs on, ends otherwise than 4.x's, which judged by
the best candidate of the step (an EOS can be it). The 4.x rule is emulated by patching
`_check_early_stop_heuristic` to read the best candidate's score; the search runs prompts (6-token windows of each
checkpoint's `input_ids`), every id as EOS and five settings until it has found four such searches.

Run: .venv-bench/bin/python scripts/make_beam_stop_fixtures.py
"""
import itertools
import json
import os
import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models
from safetensors.torch import load_file
from transformers import PreTrainedTokenizerFast
from transformers.generation.utils import GenerationMixin
from transformers.generation.stopping_criteria import StopStringCriteria

FIXTURES = os.path.join("Tests", "LucidModelsTests", "Fixtures", "llama")
NAMES = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope"]
LETTERS = "abcdef"
# (tag, beams, early_stopping, length_penalty, eos)
SETTINGS = [
    ("heuristic", 3, False, 1.0, None),
    ("finished-eos", 4, True, 1.0, 2),
    ("never", 3, "never", 1.3, None),
    ("heuristic-short", 4, False, 0.7, 2),
]
MAX_NEW_TOKENS = 10


def token_string(i):
    """The i-th string of the bijective base-6 numbering over LETTERS."""
    s, i = "", i + 1
    while i > 0:
        i -= 1
        s = LETTERS[i % 6] + s
        i //= 6
    return s


def tokenizer(vocabulary_size):
    tok = Tokenizer(models.BPE(vocab={token_string(i): i for i in range(vocabulary_size)}, merges=[]))
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok)
    strings, ids = StopStringCriteria.clean_tokenizer_vocab(fast)
    assert all(s == token_string(i) for s, i in zip(strings, ids)), "the stop-string vocabulary differs"
    return fast


def text(ids):
    return "".join(token_string(i) for i in ids)


def touches_prompt(stop, prompt_text):
    return any(prompt_text.endswith(stop[:k]) for k in range(1, len(stop)))


def cut_at_first_completion(ids, stops):
    for end in range(1, len(ids) + 1):
        if any(s in text(ids[:end]) for s in stops):
            return ids[:end]
    return ids


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    torch.set_num_threads(1)
    for name in NAMES:
        directory = os.path.join(FIXTURES, name)
        model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), attn_implementation="eager").eval()
        model.generation_config.eos_token_id = None
        fast = tokenizer(model.config.vocab_size)
        prompt = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
        prompt_text = text(prompt[0].tolist())
        candidates = ["".join(p) for n in (2, 3) for p in itertools.product(LETTERS, repeat=n)]
        candidates = [s for s in candidates if not touches_prompt(s, prompt_text)]
        cases = []
        for tag, beams, stopping, penalty, eos in SETTINGS:
            common = dict(max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=beams, early_stopping=stopping,
                          length_penalty=penalty, eos_token_id=eos, pad_token_id=0,
                          attention_mask=torch.ones_like(prompt))
            with torch.no_grad():
                free = model.generate(prompt, **common)[0, 6:].tolist()
                for stop in candidates:
                    stops = [stop]
                    out = model.generate(prompt, stop_strings=stops, tokenizer=fast, **common)[0, 6:].tolist()
                    if out != cut_at_first_completion(free, stops):
                        cases.append({"tag": tag, "beams": beams,
                                      "early_stopping": {False: "heuristic", True: "finished", "never": "never"}[stopping],
                                      "length_penalty": penalty, "eos": [eos] if eos is not None else [],
                                      "stop": stops, "expected": out, "expected_text": text(out),
                                      "without_stop": free})
                        print(f"{name} {tag}: stop {stop!r} -> {text(out)!r} (searching on, then cutting: "
                              f"{text(cut_at_first_completion(free, stops))!r})", file=sys.stderr)
                        break
                else:
                    print(f"{name} {tag}: no stop string tells the rules apart", file=sys.stderr)
        with open(os.path.join(directory, "beam_stop.json"), "w") as f:
            json.dump({"generator": f"scripts/make_beam_stop_fixtures.py, transformers {transformers.__version__}, "
                                    f"torch {torch.__version__}",
                       "prompt": prompt[0].tolist(), "max_new_tokens": MAX_NEW_TOKENS, "cases": cases}, f, indent=1)
            f.write("\n")


def heuristic_cases(wanted=4):
    """Searches where transformers 5's early-stopping rule and 4.x's (emulated) end differently."""
    running = GenerationMixin.__dict__["_get_running_beams_for_next_iteration"]
    check = GenerationMixin.__dict__["_check_early_stop_heuristic"]  # a staticmethod object, restored as such
    state = {"old": False, "best": None}

    def patched_running(self, topk_log_probs, **kwargs):
        state["best"] = topk_log_probs.max(dim=-1, keepdim=True)[0]
        return running(self, topk_log_probs=topk_log_probs, **kwargs)

    def patched_check(is_early_stop_heuristic_unsatisfied, running_beam_scores, **kwargs):
        if state["old"]:
            running_beam_scores = state["best"].expand_as(running_beam_scores)
        return check.__func__(is_early_stop_heuristic_unsatisfied=is_early_stop_heuristic_unsatisfied,
                              running_beam_scores=running_beam_scores, **kwargs)

    GenerationMixin._get_running_beams_for_next_iteration = patched_running
    GenerationMixin._check_early_stop_heuristic = staticmethod(patched_check)
    cases = []
    try:
        for name in NAMES:
            directory = os.path.join(FIXTURES, name)
            model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), attn_implementation="eager").eval()
            model.generation_config.eos_token_id = None
            ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"]
            for start in range(7):
                prompt = ids[:, start:start + 6]
                for eos in range(3, model.config.vocab_size):
                    for beams, stopping, penalty in ((2, False, 1.0), (2, False, 0.5), (3, False, 2.0), (2, "never", 0.0), (3, "never", -0.5)):
                        common = dict(max_new_tokens=12, do_sample=False, num_beams=beams, early_stopping=stopping,
                                      length_penalty=penalty, eos_token_id=eos, pad_token_id=0, attention_mask=torch.ones_like(prompt))
                        with torch.no_grad():
                            state["old"] = False
                            new = model.generate(prompt, **common)[0, 6:].tolist()
                            state["old"] = True
                            old = model.generate(prompt, **common)[0, 6:].tolist()
                        if new != old:
                            cases.append({"checkpoint": name, "prompt": prompt[0].tolist(), "eos": eos, "beams": beams,
                                          "early_stopping": "never" if stopping == "never" else "heuristic",
                                          "length_penalty": penalty, "max_new_tokens": 12, "expected": new, "rule_4x": old})
                            print(f"{name} prompt {start} EOS {eos} {beams} beams {stopping} {penalty}: 5.x {new}, 4.x {old}",
                                  file=sys.stderr)
                            if len(cases) == wanted:
                                return cases
        return cases
    finally:
        GenerationMixin._get_running_beams_for_next_iteration, GenerationMixin._check_early_stop_heuristic = running, check


if __name__ == "__main__":
    main()
    with open(os.path.join(FIXTURES, "beam_heuristic.json"), "w") as f:
        json.dump({"generator": f"scripts/make_beam_stop_fixtures.py, transformers {transformers.__version__}, torch {torch.__version__}",
                   "cases": heuristic_cases()}, f, indent=1)
        f.write("\n")
