"""Chat-template goldens for LucidText (imported by make_tokenizer_fixtures.py).

Renders each conversation through the models' real Jinja templates with jinja2,
configured as transformers' `apply_chat_template` does (sandboxed, trim_blocks,
lstrip_blocks, raise_exception). SmolLM2's template comes from its GGUF; the others
are transcribed from the Hugging Face Hub (Llama-2-chat, Llama-3-Instruct,
llava-hf/llava-1.5, Qwen2-Instruct, Qwen2-VL-Instruct). LLaVA-OneVision/Interleave has two: the llava-hf processor
template (the role, a space, the images, then a newline and the text, turns not separated), as
transformers' own processor tests load it and as vLLM's examples and processor tests write its
prompts (`<|im_start|>user <image>\\n...<|im_end|><|im_start|>assistant\\n`); and the one
transformers' `convert_llava_onevision_weights_to_hf.py` writes (ChatML with `<image>\\n` lines,
which Lucid's chatml renders). Vicuna follows FastChat's vicuna_v1.1
(SeparatorStyle.ADD_COLON_TWO).
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import jinja2.sandbox

# -------------------------------------------------------- chat templates ---

LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}"
    "{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}"
)
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
LLAVA_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}"
    "{{ message['role'].upper() + ': '}}{% endif %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}"
    "{{ '<image>\\n' }}{% endfor %}{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ content['text'] + ' '}}{% endfor %}{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAVA_ONEVISION_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>' }}{% endfor %}"
    "{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\\n' + content['text'] }}{% endfor %}"
    "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ '\\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"
    "{{'<|im_end|>'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAVA_ONEVISION_CONVERTED_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}"
    "{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}"
    "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"
    "{{'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Qwen2-VL-Instruct's and Qwen2.5-VL-Instruct's template as both ship it (tokenizer_config.json and
# chat_template.json on the Hub): images as <|vision_start|><|image_pad|><|vision_end|> right before
# the text, ChatML turns, "You are a helpful assistant." when there is no system message.
QWEN2_VL_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                 "The assistant gives helpful, detailed, and polite answers to the user's questions.")

CONVERSATIONS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
     {"role": "user", "content": "And 3+3?"}],
    [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hello"},
     {"role": "assistant", "content": "Hi! How can I help?"},
     {"role": "user", "content": "Tell me a joke."}],
    [{"role": "user", "content": "Describe this picture.", "images": 1}],
    [{"role": "user", "content": "  padded content \n"},
     {"role": "assistant", "content": " sure \t"}],
    [{"role": "user", "content": "Which differs?", "images": 2}],
]


def image_prefixed(message: dict) -> str:
    return "<image>\n" * message.get("images", 0) + message["content"]


def render_jinja(source: str, messages: list[dict], add_generation_prompt: bool,
                 llava: bool = False, **tokens) -> str:
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    if llava:  # transformers treats {% generation %} as a no-op marker
        source = source.replace("{% generation %}", "").replace("{% endgeneration %}", "")
        msgs = [{"role": m["role"], "content":
                 [{"type": "image"}] * m.get("images", 0) + [{"type": "text", "text": m["content"]}]}
                for m in messages]
    else:
        msgs = [{"role": m["role"], "content": image_prefixed(m)} for m in messages]
    return env.from_string(source).render(
        messages=msgs, add_generation_prompt=add_generation_prompt, **tokens)


def render_vicuna(messages: list[dict], add_generation_prompt: bool) -> str:
    """FastChat vicuna_v1.1 (SeparatorStyle.ADD_COLON_TWO, sep " ", sep2 "</s>")."""
    system = VICUNA_SYSTEM
    turns = []
    for m in messages:
        if m["role"] == "system":
            system = m["content"]
        else:
            turns.append(("USER" if m["role"] == "user" else "ASSISTANT", image_prefixed(m)))
    if add_generation_prompt:
        turns.append(("ASSISTANT", None))
    seps = [" ", "</s>"]
    text = system + seps[0]
    for i, (role, message) in enumerate(turns):
        text += f"{role}: {message}{seps[i % 2]}" if message else f"{role}:"
    return text


def build_chat(out: Path, smollm2_template: str | None) -> None:
    cases = []
    templates = [
        ("chatml", "qwen2", QWEN2_TEMPLATE, {}),
        ("llama-2", "llama-2", LLAMA2_TEMPLATE, {"bos_token": "<s>", "eos_token": "</s>"}),
        ("llama-3", "llama-3", LLAMA3_TEMPLATE, {"bos_token": "<|begin_of_text|>"}),
        ("llava-1.5", "llava-1.5", LLAVA_TEMPLATE, {}),
        ("llava-onevision", "llava-onevision", LLAVA_ONEVISION_TEMPLATE, {}),
        ("chatml", "llava-onevision-converted", LLAVA_ONEVISION_CONVERTED_TEMPLATE, {}),
        ("qwen2-vl", "qwen2-vl", QWEN2_VL_TEMPLATE, {}),
    ]
    if smollm2_template is not None:
        templates.insert(0, ("chatml", "smollm2", smollm2_template, {}))
    for name, source_name, source, tokens in templates:
        for conv in CONVERSATIONS:
            for agp in (True, False):
                try:
                    # Structured content (a list of image and text parts, as the processors pass it): the
                    # llava-hf templates select parts by type, Qwen2-VL's walks them.
                    structured = source.count("selectattr") > 0 or "<|vision_start|>" in source
                    text = render_jinja(source, conv, agp, llava=structured, **tokens)
                except jinja2.exceptions.TemplateError as error:
                    text, failure = None, str(error)
                else:
                    failure = None
                cases.append({"template": name, "source": source_name, "messages": conv,
                              "add_generation_prompt": agp, "text": text, "error": failure})
    for conv in CONVERSATIONS:
        for agp in (True, False):
            cases.append({"template": "vicuna", "source": "fastchat", "messages": conv,
                          "add_generation_prompt": agp, "text": render_vicuna(conv, agp),
                          "error": None})
    sources = {"qwen2": QWEN2_TEMPLATE, "llama-2": LLAMA2_TEMPLATE,
               "llama-3": LLAMA3_TEMPLATE, "llava-1.5": LLAVA_TEMPLATE,
               "llava-onevision": LLAVA_ONEVISION_TEMPLATE,
               "llava-onevision-converted": LLAVA_ONEVISION_CONVERTED_TEMPLATE,
               "qwen2-vl": QWEN2_VL_TEMPLATE}
    if smollm2_template is not None:
        sources["smollm2"] = smollm2_template
    (out / "chat_golden.json").write_text(
        json.dumps({"template_sources": sources, "cases": cases}, ensure_ascii=False, indent=1),
        encoding="utf-8")
