#!/usr/bin/env python3
"""Goldens for Mistral's "tekken" pre-tokenizer: its regex splits (Tests/LucidTextTests/Fixtures/pretokenize_tekken_golden.jsonl)
and a tiny byte-level BPE tokenizer with it (bpe_tekken_tokenizer.json / bpe_tekken_golden.jsonl).

Mistral Nemo, Ministral and Pixtral keep their tokenizer as tiktoken's BPE with this split pattern; their
`tokenizer.json` writes it as a `Split(Regex(TEKKEN_PATTERN), "isolated")` before a byte-level step, and llama.cpp
names it `tekken` in GGUF files (`tokenizer.ggml.pre`; the pattern is the one its src/llama-vocab.cpp quotes
from tokenizer.json, in the llama-cpp-python 0.3.36 sdist). Words split by letter case: an optional non-letter,
then upper-case letters (Lu, Lt, Lm, Lo, marks) followed by lower-case ones (Ll, Lm, Lo, marks), or upper-case
letters alone; numbers one digit at a time; punctuation runs with their trailing newlines and slashes.

Splits the tokenizer fixtures' corpus (make_tokenizer_fixtures.CORPUS) and cases of its own (case changes,
titlecase and modifier letters, combining marks, slashes) with Hugging Face `tokenizers`, pinned by
scripts/requirements-bench.txt. The tokenizer takes bpe_llama3_tokenizer.json's trained vocabulary and merges
(make_tokenizer_fixtures.py) with the tekken split, merges ignored for words in the vocabulary (as Nemo's
tokenizer.json and llama.cpp's `tekken` have it), `<s>` prepended; its goldens are HF's ids and decodes for
the same texts, in the format of the other bpe_*_golden.jsonl files.

Run from the repository root:  .venv-bench/bin/python scripts/make_tekken_tokenizer_fixtures.py
(`scripts/setup.sh --bench` creates the venv). Deterministic.
"""
import json
import os
import sys
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors

sys.path.insert(0, os.path.dirname(__file__))
from make_tokenizer_fixtures import CORPUS, golden_rows, save_small, write_jsonl  # noqa: E402

FIXTURES = Path("Tests") / "LucidTextTests" / "Fixtures"

TEKKEN_PATTERN = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"
    r"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
EXTRA = [
    "CamelCaseWords and HTTPServer", "ABC DEF", "iPhone eBay McDonald's", "HELLOworld", "aBcDeF",
    "\u01c5ungla \u01c8ubljana \u01cbjegos", "\u02b0aspirated x\u02b0y", "caf\u00e9 cafe\u0301 CAFE\u0301",
    "\u0301alone \u0301\u0301 x\u0301\u0301y", " \u0301A", "(\u0301", "\u4e2d\u6587Abc", "\u3042\u30a2A",
    "http://example.com/a/b", "a/b //c\n/d", "x!!/\n\n", "// comment\n", "1/2 3/4", "\u0391\u03b8\u03ae\u03bd\u03b1 \u0391\u0398\u0397\u039d\u0391",
    "\u0130stanbul \u0131i", "ǲ ǳ Ǳ", "'s 'S 're", "\t\tTab Tab", "  \n  X", "x\u2028Y\u2029z", "A\u0301\u0302b",
    "\U0001d400\U0001d41a", "Mix3d C4se",
]


def tekken_tokenizer() -> Tokenizer:
    state = json.loads((FIXTURES / "bpe_llama3_tokenizer.json").read_text(encoding="utf-8"))["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    tok = Tokenizer(models.BPE(vocab=state["vocab"], merges=merges, ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(TEKKEN_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<s>", "</s>", "[INST]", "[/INST]"]])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def main():
    splitter = pre_tokenizers.Split(Regex(TEKKEN_PATTERN), behavior="isolated")
    with open(FIXTURES / "pretokenize_tekken_golden.jsonl", "w", encoding="utf-8") as f:
        for text in CORPUS + EXTRA:
            pieces = [piece for piece, _ in splitter.pre_tokenize_str(text)]
            assert "".join(pieces) == text
            f.write(json.dumps({"text": text, "tekken": pieces}, ensure_ascii=False) + "\n")
    tok = tekken_tokenizer()
    if not save_small(tok, FIXTURES / "bpe_tekken_tokenizer.json"):
        sys.exit("the tiny tekken fixture must stay small")
    write_jsonl(FIXTURES / "bpe_tekken_golden.jsonl", golden_rows(tok, CORPUS + EXTRA + ["[INST]Hi[/INST]Hello</s>"]))
    print(len(CORPUS) + len(EXTRA), "rows")


if __name__ == "__main__":
    main()
