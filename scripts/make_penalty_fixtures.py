#!/usr/bin/env python3
"""Greedy decoding with repetition, presence and frequency penalties, as transformers runs it, for Lucid's
conformance tests (Tests/LucidModelsTests/Fixtures/llama/penalties.json).

- `repetition_penalty` is transformers' own `RepetitionPenaltyLogitsProcessor` (CTRL): the score of every token in
  `input_ids` (prompt and output so far) is divided by the penalty where positive, multiplied where negative.
- `presence_penalty` and `frequency_penalty` have no transformers processor. They are OpenAI's formula
  (platform.openai.com/docs/guides/text-generation, "frequency and presence penalties"):
  mu[j] -> mu[j] - c[j] * frequency - (c[j] > 0) * presence, where c[j] counts token j in the output so far (not
  the prompt), in f32 as vLLM's `apply_penalties` computes it. They run as a custom processor, which transformers
  appends after its own, so the order is vLLM's: repetition, then frequency, then presence.

Each case decodes 10 greedy tokens after the first 6 ids of the checkpoint's `input_ids` (the tiny random
checkpoints of scripts/make_llama_fixtures.py, fp32, no EOS) and records the tokens and the log-softmax of the
processed scores at each chosen token (`output_scores`). A case is kept only when its tokens differ from plain
greedy decoding, so a decoder that ignores the penalty fails it.

Run: .venv-bench/bin/python scripts/make_penalty_fixtures.py
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "LucidModelsTests", "Fixtures", "llama")
CONFIGURATIONS = ["llama-mha", "llama-gqa", "qwen2", "llama31-rope", "llama-linear-rope", "qwen3"]
# (repetition, presence, frequency): penalties above and below neutral, alone and together.
SETTINGS = [(1.5, 0.0, 0.0), (0.7, 0.0, 0.0), (1.0, 1.2, 0.0), (1.0, 0.0, 0.8), (1.0, -1.0, -0.5), (1.3, 0.5, 0.4)]
NEW_TOKENS = 10


class PresenceFrequencyPenalty(transformers.LogitsProcessor):
    """OpenAI's presence and frequency penalties on the tokens generated after `prompt_length`."""

    def __init__(self, prompt_length, presence, frequency):
        self.prompt_length, self.presence, self.frequency = prompt_length, presence, frequency

    def __call__(self, input_ids, scores):
        output = input_ids[:, self.prompt_length:]
        counts = torch.zeros_like(scores).scatter_add_(1, output, torch.ones_like(output, dtype=scores.dtype))
        scores = scores - self.frequency * counts
        return scores - self.presence * (counts > 0).to(scores.dtype)


def greedy(model, prompt, repetition, presence, frequency):
    processors = transformers.LogitsProcessorList()
    if presence != 0 or frequency != 0:
        processors.append(PresenceFrequencyPenalty(prompt.shape[1], presence, frequency))
    out = model.generate(prompt, do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                         repetition_penalty=repetition, logits_processor=processors, eos_token_id=None,
                         pad_token_id=0, output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, prompt.shape[1]:].tolist()
    logprobs = [torch.log_softmax(step[0].float(), -1)[token].item() for step, token in zip(out.scores, tokens)]
    return tokens, logprobs


def main():
    torch.manual_seed(0)
    cases = []
    for name in CONFIGURATIONS:
        directory = os.path.join(FIXTURES, name)
        model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(directory, "model"), torch_dtype=torch.float32,
                                                                  attn_implementation="eager").eval()
        ids = load_file(os.path.join(directory, "golden.safetensors"))["input_ids"][:, :6]
        with torch.no_grad():
            plain, _ = greedy(model, ids, 1.0, 0.0, 0.0)
            for repetition, presence, frequency in SETTINGS:
                tokens, logprobs = greedy(model, ids, repetition, presence, frequency)
                if tokens == plain:
                    print(f"{name} {repetition} {presence} {frequency}: same as plain greedy, left out")
                    continue
                cases.append({"configuration": name, "prompt": ids[0].tolist(), "repetition": repetition,
                              "presence": presence, "frequency": frequency, "tokens": tokens,
                              "chosen_logprobs": logprobs, "plain_greedy": plain})
    document = {"transformers": transformers.__version__, "torch": torch.__version__,
                "script": "scripts/make_penalty_fixtures.py", "cases": cases}
    with open(os.path.join(FIXTURES, "penalties.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
