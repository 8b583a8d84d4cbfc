#!/usr/bin/env python3
"""Beam searches whose hypotheses' lengths count the whole sequence, as transformers 4.29.2 counted them (the
transformers OPERA's official code forks), for Lucid's `HypothesisLength.sequence`
(Tests/LucidModelsTests/Fixtures/llama/beam_length.json).

transformers 4.29's `BeamHypotheses.add(hyp, sum_logprobs)` divides by `hyp.shape[-1] ** length_penalty`, the whole
`input_ids` row: the prompt's ids and the new tokens, without an ending EOS (the scorer adds the row before the EOS
is appended); its early-stopping bound divides by the prompt's ids plus the new tokens so far. transformers 5.23
(installed here) divides by the new tokens, an ending EOS included. The 4.29 lengths are emulated on 5.23's search by
patching `_update_finished_beams` (each finished candidate's score is rescaled from 5.23's length to 4.29's) and
`_check_early_stop_heuristic` (its bound is judged at the prompt's length plus the new tokens). The rest of the
search is 5.23's, which Lucid's beam search follows (its early-stopping bound reads the best running beam, where 4.29
read the best candidate).

The search runs prompts (6-token windows of each checkpoint's `input_ids`), EOS ids (the checkpoint's own first, so
that `lucid generate`, which ends at it, can run a case) and length penalties until it has found one search a
checkpoint whose tokens differ from the same search under 5.23's lengths. Each case records the tokens, the
score (`sequences_scores`) and 5.23's tokens.

Run: .venv-bench/bin/python scripts/make_beam_length_fixtures.py
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file
from transformers.generation.utils import GenerationMixin

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "LucidModelsTests", "Fixtures", "llama")
NAMES = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]
MAX_NEW_TOKENS = 10
WANTED = 6


def main():
    update = GenerationMixin.__dict__["_update_finished_beams"]
    check = GenerationMixin.__dict__["_check_early_stop_heuristic"]  # a staticmethod object, restored as such
    state = {"sequence": False, "prompt": 0, "eos": None}

    def patched_update(self, *, topk_log_probs, topk_running_sequences, cur_len, decoder_prompt_len, length_penalty, **kwargs):
        if state["sequence"]:
            generated = cur_len + 1 - decoder_prompt_len
            ends = (topk_running_sequences[:, :, cur_len] == state["eos"]).to(torch.float32)
            length = state["prompt"] + generated - ends
            topk_log_probs = topk_log_probs * (generated ** length_penalty) / (length ** length_penalty)
        return update(self, topk_log_probs=topk_log_probs, topk_running_sequences=topk_running_sequences, cur_len=cur_len,
                      decoder_prompt_len=decoder_prompt_len, length_penalty=length_penalty, **kwargs)

    def patched_check(*, decoder_prompt_len, **kwargs):
        if state["sequence"]:
            decoder_prompt_len -= state["prompt"]
        return check.__func__(decoder_prompt_len=decoder_prompt_len, **kwargs)

    GenerationMixin._update_finished_beams = patched_update
    GenerationMixin._check_early_stop_heuristic = staticmethod(patched_check)
    cases = []
    try:
        for name in NAMES:
            directory = os.path.join(FIXTURES, name)
            model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                                      attn_implementation="eager").eval()
            model.generation_config.eos_token_id = None
            ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"]
            found = 0
            for start in range(7):
                prompt = ids[:, start:start + 6]
                own = model.config.eos_token_id
                for eos in ([own] if isinstance(own, int) else []) + [token for token in range(3, model.config.vocab_size) if token != own]:
                    for beams, penalty in ((3, 1.0), (2, 2.0)):
                        common = dict(max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=beams, early_stopping=False,
                                      length_penalty=penalty, eos_token_id=eos, pad_token_id=0, attention_mask=torch.ones_like(prompt),
                                      output_scores=True, return_dict_in_generate=True)
                        state.update(prompt=prompt.shape[1], eos=eos)
                        with torch.no_grad():
                            state["sequence"] = False
                            new = model.generate(prompt, **common).sequences[0, 6:].tolist()
                            state["sequence"] = True
                            out = model.generate(prompt, **common)
                        tokens = out.sequences[0, 6:].tolist()
                        new = new[:new.index(eos) + 1] if eos in new else new
                        tokens = tokens[:tokens.index(eos) + 1] if eos in tokens else tokens
                        if tokens != new:
                            cases.append({"configuration": name, "prompt": prompt[0].tolist(), "eos": eos, "beams": beams,
                                          "length_penalty": penalty, "max_new_tokens": MAX_NEW_TOKENS, "tokens": tokens,
                                          "score": out.sequences_scores[0].item(), "new_length_tokens": new})
                            print(f"{name} prompt {start} EOS {eos} {beams} beams {penalty}: sequence {tokens}, new {new}")
                            found += 1
                            break
                    if found == 1 or len(cases) == WANTED:
                        break
                if found == 1 or len(cases) == WANTED:
                    break
            if len(cases) == WANTED:
                break
    finally:
        GenerationMixin._update_finished_beams, GenerationMixin._check_early_stop_heuristic = update, check
    with open(os.path.join(FIXTURES, "beam_length.json"), "w") as f:
        json.dump({"generator": f"scripts/make_beam_length_fixtures.py, transformers {transformers.__version__}, torch {torch.__version__}",
                   "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
