#!/usr/bin/env python3
"""Goldens for LucidText's chat templates on templates as the Hub serves them
(Tests/LucidTextTests/Fixtures/hub_chat_golden.json).

Renders the conversations of chat_template_fixtures.py through the Llama 3.1, Llama 3.2 and Qwen2.5 Instruct
templates (Tests/LucidTextTests/Fixtures/hub-templates/, from the Hub via llama.cpp; Llama 3.3's is 3.1's byte
for byte) with transformers' own `render_jinja_template` (pinned in scripts/requirements-bench.txt), with
and without the generation prompt. Llama's bos_token is `<|begin_of_text|>`; Qwen2.5 has none.
For the Llama templates, each conversation is rendered twice:
- `date: null`: no `date_string`, so 3.1 writes its "26 Jul 2024". 3.2's template reads the clock where
  transformers defines `strftime_now` (it does), so its default rendering changes daily; its cases pass
  `date_string` "26 Jul 2024", the template's own fallback, which is Lucid's default;
- `date: "01 Jan 2025"`: `date_string` given, as a caller who pins the date.

Run from the repository root:  .venv-bench/bin/python scripts/make_hub_chat_fixtures.py
(`scripts/setup.sh --bench` creates the venv). Output is deterministic.
"""
import json
import os
import sys

from transformers.utils.chat_template_utils import render_jinja_template

sys.path.insert(0, os.path.dirname(__file__))
from chat_template_fixtures import CONVERSATIONS, image_prefixed  # noqa: E402

FIXTURES = os.path.join("Tests", "LucidTextTests", "Fixtures")
TEMPLATES = {"llama-3.1": "meta-llama-Llama-3.1-8B-Instruct.jinja", "llama-3.2": "meta-llama-Llama-3.2-3B-Instruct.jinja",
             "qwen2.5": "Qwen-Qwen2.5-7B-Instruct.jinja"}
TOKENS = {"llama-3.1": {"bos_token": "<|begin_of_text|>"}, "llama-3.2": {"bos_token": "<|begin_of_text|>"}, "qwen2.5": {}}
FALLBACK = "26 Jul 2024"


def main():
    sources, cases = {}, []
    for name, file in TEMPLATES.items():
        with open(os.path.join(FIXTURES, "hub-templates", file), encoding="utf-8") as f:
            sources[name] = f.read()
        dates = (None, "01 Jan 2025") if name.startswith("llama") else (None,)
        for conversation in CONVERSATIONS:
            messages = [{"role": m["role"], "content": image_prefixed(m)} for m in conversation]
            for date in dates:
                for add_generation_prompt in (True, False):
                    pinned = date if date is not None else (FALLBACK if "strftime_now" in sources[name] else None)
                    extra = {} if pinned is None else {"date_string": pinned}
                    rendered, _ = render_jinja_template([messages], chat_template=sources[name],
                                                        add_generation_prompt=add_generation_prompt, **TOKENS[name], **extra)
                    cases.append({"source": name, "messages": conversation, "add_generation_prompt": add_generation_prompt,
                                  "date": date, "text": rendered[0]})
    with open(os.path.join(FIXTURES, "hub_chat_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"files": {name: "hub-templates/" + file for name, file in TEMPLATES.items()}, "cases": cases},
                  f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
