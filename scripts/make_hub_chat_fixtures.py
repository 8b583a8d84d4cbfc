#!/usr/bin/env python3
"""Goldens for LucidText's chat templates on templates as the Hub serves them
(Tests/LucidTextTests/Fixtures/hub_chat_golden.json).

Renders the conversations of chat_template_fixtures.py, and those of HUB_CONVERSATIONS below (reasoning in
assistant turns, a later system message, a tool response, turns that do not alternate), through the Llama 3.1,
Llama 3.2, Qwen2.5, Qwen3, Mistral Nemo Instruct and DeepSeek-R1 distill templates (Tests/LucidTextTests/Fixtures/hub-templates/,
from the Hub via llama.cpp; Llama 3.3's is 3.1's byte for byte) with transformers' own `render_jinja_template`
(pinned in scripts/requirements-bench.txt), with and without the generation prompt. Llama's bos_token is
`<|begin_of_text|>`, Mistral Nemo's `<s>` (eos `</s>`), DeepSeek-R1's `<｜begin▁of▁sentence｜>` (eos
`<｜end▁of▁sentence｜>`); the Qwen templates use none. A conversation a template
refuses (its `raise_exception`) is kept with `text` null and the message as `error`.
Qwen3's cases are rendered three times: `enable_thinking` not passed (null), false and true.
For the Llama templates, each conversation is rendered twice:
- `date: null`: no `date_string`, so 3.1 writes its "26 Jul 2024". 3.2's template reads the clock where
  transformers defines `strftime_now` (it does), so its default rendering changes daily; its cases pass
  `date_string` "26 Jul 2024", the template's own fallback, which is Lucid's default;
- `date: "01 Jan 2025"`: `date_string` given, as a caller who pins the date.

Run from the repository root:  .venv-bench/bin/python scripts/make_hub_chat_fixtures.py
(`scripts/setup.sh --bench` creates the venv). Output is deterministic.
"""
import itertools
import json
import os
import sys

import jinja2

from transformers.utils.chat_template_utils import render_jinja_template

sys.path.insert(0, os.path.dirname(__file__))
from chat_template_fixtures import CONVERSATIONS, image_prefixed  # noqa: E402

FIXTURES = os.path.join("Tests", "LucidTextTests", "Fixtures")
TEMPLATES = {"llama-3.1": "meta-llama-Llama-3.1-8B-Instruct.jinja", "llama-3.2": "meta-llama-Llama-3.2-3B-Instruct.jinja",
             "qwen2.5": "Qwen-Qwen2.5-7B-Instruct.jinja", "qwen3": "Qwen-Qwen3-0.6B.jinja",
             "mistral-nemo": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
             "deepseek-r1": "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"}
TOKENS = {"llama-3.1": {"bos_token": "<|begin_of_text|>"}, "llama-3.2": {"bos_token": "<|begin_of_text|>"}, "qwen2.5": {},
          "qwen3": {}, "mistral-nemo": {"bos_token": "<s>", "eos_token": "</s>"},
          "deepseek-r1": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"}}
FALLBACK = "26 Jul 2024"
HUB_CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>\nLet me think.\n</think>\n\nHello!"},
     {"role": "user", "content": "Again?"}],
    [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "<think>\n\nreasoning here\n\n</think>\n\n\nBecause."}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q"}, {"role": "assistant", "content": "A plain answer."}],
    [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Switch to French."}, {"role": "user", "content": "Bonjour"}],
    [{"role": "user", "content": "Look it up."}, {"role": "assistant", "content": "Calling the tool."},
     {"role": "user", "content": "<tool_response>\n42\n</tool_response>"}],
    [{"role": "user", "content": "Look it up."}, {"role": "assistant", "content": "<think>plan</think>Calling."},
     {"role": "user", "content": "<tool_response>42</tool_response>"}, {"role": "assistant", "content": "It is 42."}],
    [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    [{"role": "user", "content": "Go"}, {"role": "assistant", "content": "<think>one</think>two</think>\nthree"}],
    [{"role": "user", "content": "Go"}, {"role": "assistant", "content": "<think>unfinished"}, {"role": "user", "content": "More"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "First"}, {"role": "assistant", "content": "Reply"},
     {"role": "user", "content": "Second", "images": 1}],
]


def main():
    sources, cases = {}, []
    for name, file in TEMPLATES.items():
        with open(os.path.join(FIXTURES, "hub-templates", file), encoding="utf-8") as f:
            sources[name] = f.read()
        dates = (None, "01 Jan 2025") if name.startswith("llama") else (None,)
        thinking = (None, False, True) if name == "qwen3" else (None,)
        for conversation in CONVERSATIONS + HUB_CONVERSATIONS:
            messages = [{"role": m["role"], "content": image_prefixed(m)} for m in conversation]
            for date, enable_thinking in itertools.product(dates, thinking):
                for add_generation_prompt in (True, False):
                    pinned = date if date is not None else (FALLBACK if "strftime_now" in sources[name] else None)
                    extra = {} if pinned is None else {"date_string": pinned}
                    if enable_thinking is not None:
                        extra["enable_thinking"] = enable_thinking
                    try:
                        rendered, _ = render_jinja_template([messages], chat_template=sources[name],
                                                            add_generation_prompt=add_generation_prompt, **TOKENS[name], **extra)
                        text, error = rendered[0], None
                    except jinja2.exceptions.TemplateError as failure:
                        text, error = None, str(failure)
                    cases.append({"source": name, "messages": conversation, "add_generation_prompt": add_generation_prompt,
                                  "date": date, "enable_thinking": enable_thinking, "text": text, "error": error})
    with open(os.path.join(FIXTURES, "hub_chat_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"files": {name: "hub-templates/" + file for name, file in TEMPLATES.items()}, "cases": cases},
                  f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
