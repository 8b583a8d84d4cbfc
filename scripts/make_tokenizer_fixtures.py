#!/usr/bin/env python3
"""Builds the golden fixtures that pin LucidText to Hugging Face `tokenizers`.

Environment (what installed cleanly on Debian 12 / CPython 3.11.7):
    python3 -m venv .venv
    .venv/bin/pip install tokenizers==0.19.1 gguf==0.10.0 numpy==1.26.4 \
        sentencepiece==0.2.3 Jinja2==3.1.6
    (gguf 0.10.0 imports sentencepiece unconditionally and breaks on numpy 2,
    hence the two extra pins.)

Usage:
    .venv/bin/python scripts/make_tokenizer_fixtures.py \
        [--gguf ~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf] \
        [--out Tests/LucidTextTests/Fixtures]

What it writes:
    smollm2_tokenizer.json      SmolLM2's tokenizer rebuilt from the GGUF (ByteLevel
                                BPE, pre-tokenizer Sequence[Digits(individual),
                                ByteLevel(add_prefix_space=False)]); written only
                                while it stays under 3 MB (it is ~1.4 MB). The Swift
                                tests also rebuild it from the GGUF itself, named by
                                LUCID_SMOLLM2_GGUF.
    smollm2_golden.jsonl        HF ids/decodes for the corpus with that tokenizer.
    spm_tokenizer.json          tiny Llama-2-style BPE with byte fallback
    spm_golden.jsonl            (normalizer Prepend("▁") + Replace(" ", "▁")).
    spm_metaspace_tokenizer.json / spm_metaspace_golden.jsonl
                                same model, Metaspace(prepend_scheme=first)
                                pre-tokenizer + Metaspace decoder.
    spm_gguf_metadata.json      the same tiny model as GGUF arrays (tokens,
                                scores, token types) for the "llama" GGUF path.
    bpe_gpt2_tokenizer.json / bpe_gpt2_golden.jsonl
                                tiny byte-level BPE, GPT-2 regex, extra added
                                tokens (lstrip/rstrip/single_word/non-special).
    bpe_llama3_tokenizer.json / bpe_llama3_golden.jsonl
                                same vocab, Split(Llama-3 regex) + ByteLevel,
                                ignore_merges, <|begin_of_text|> template.
    bpe_qwen2_tokenizer.json / bpe_qwen2_golden.jsonl
                                same vocab, NFC + Split(Qwen2 regex) + ByteLevel.
    pretokenize_golden.jsonl    raw regex splits (GPT-2, Llama-3, Qwen2, SmolLM).
    chat_golden.json            chat renderings from the real Jinja templates
                                (see chat_template_fixtures.py).

Golden line format: {"text", "ids" (add_special_tokens=True),
"ids_plain" (add_special_tokens=False), "decoded" (decode(ids, False)),
"decoded_skip" (decode(ids, True))}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from chat_template_fixtures import build_chat, render_jinja
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

GPT2_PATTERN = (
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
)
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# ---------------------------------------------------------------- corpus ---

CORPUS: list[str] = [
    "",
    "Hello world",
    "Hello, world! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    " leading space",
    "trailing space ",
    "  two leading spaces",
    "multiple   spaces   between   words",
    "     ",
    " ",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\nline four",
    "\n\n\nstarts with newlines",
    "ends with newlines\n\n",
    "mixed \t \n whitespace \r\n runs",
    "windows\r\nline\r\nendings",
    "café résumé naïve façade",
    "Ångström Øresund Straße ßüöä",
    "e\u0301 combining acute vs é precomposed",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "emoji 😀 smile",
    "😀😃😄😁",
    "family 👨\u200d👩\u200d👧\u200d👦 zwj",
    "flags 🇫🇷🇯🇵🇺🇸",
    "thumbs 👍🏽 skin tone",
    "中文字符测试，你好世界。",
    "日本語のテキストです",
    "한국어 텍스트",
    "مرحبا بالعالم",
    "שלום עולם",
    "Привет, мир!",
    "Ελληνικά γράμματα",
    "हिन्दी पाठ",
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < n; ++i) { sum += x[i]; }",
    "let x: [Int: String] = [:]  // swift",
    "<div class=\"x\">&amp;</div>",
    "SELECT * FROM users WHERE id = 42;",
    "1234567",
    "3.14159",
    "Version 2.0.1-beta, build #4521",
    "Call 555-0123 or +1 (800) 555-0199",
    "1,000,000 dollars and 0.5 cents",
    "٣٤٥ Arabic-Indic digits and ² superscript and ① circled",
    "I'm sure you're right, they've said we'll see.",
    "don't won't can't shouldn't",
    "THEY'LL SAY IT'S FINE, WE'D AGREE",
    "It'S mIxEd'Ll CaSe'Ve",
    "rock 'n' roll ''quoted'' '",
    "<|im_start|>user",
    "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more text",
    "<|im_end|><|im_end|>",
    "<s>Hello</s>",
    "Hello <s> world </s> end",
    "<unk> token literal",
    "a <mask> b  <mask>  c",
    "[NEW] token and x[NEW]y",
    "hello_world and hello_worlds and _hello_world",
    "<tool→> arrow token",
    "«SEP» guillemets",
    "!!!???...,,,",
    "@user #hashtag $100 %50 ^caret &and *star",
    "a\u00a0non-breaking\u00a0space",
    "ideographic\u3000space",
    "thin\u2009space and em\u2003space",
    "vertical\u000btab and form\u000cfeed",
    "file\u001cseparator and next\u0085line",
    "zero\u200bwidth space",
    "replacement \ufffd char",
    "The year 2024 had 366 days; 2023 had 365.",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "URL: https://example.com/path?query=1&x=y#frag",
    "email: someone@example.org",
    "mañana, el niño comió jalapeños",
    "Ça va? Oui, très bien!",
    "The weather is nice. It's sunny, and I'd like to go outside.",
    "  indented\n    more indented\n\ttabbed",
    "x" * 300,
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8).strip(),
]

SMOLLM2_SPECIALS_IN_TEXT = [
    "<|endoftext|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>",
    "<repo_name>lucid<file_sep>main.swift",
]

TRAIN_TEXT = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world, hello there, hello again.",
    "I'm sure you're right; they've said we'll see what they'd do.",
    "Don't stop, won't stop, can't stop.",
    "Numbers like 1234567 and 3.14159 appear in text.",
    "The weather is nice today and the sun is shining.",
    "She sells sea shells by the sea shore.",
    "A journey of a thousand miles begins with a single step.",
    "To be or not to be, that is the question.",
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n    print(i)\n",
    "Language models read tokens, not characters.",
    "Tokenizers split text into words and subwords.",
    "café résumé naïve façade mañana",
    "The rain in Spain stays mainly in the plain.",
    "Multimodal research combines images and text.",
    "Streaming decoders emit text as tokens arrive.",
    "Unicode handling is tricky but important.",
]


# ------------------------------------------------------------ utilities ---

def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def golden_rows(tok: Tokenizer, texts: list[str]) -> list[dict]:
    rows = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=True).ids
        plain = tok.encode(text, add_special_tokens=False).ids
        rows.append({
            "text": text,
            "ids": ids,
            "ids_plain": plain,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip": tok.decode(ids, skip_special_tokens=True),
        })
    return rows


def save_small(tok: Tokenizer, path: Path, limit: int = 1_000_000) -> bool:
    """Saves compact JSON; refuses (and deletes) anything over `limit` bytes."""
    tok.save(str(path), pretty=False)
    size = path.stat().st_size
    if size > limit:
        path.unlink()
        print(f"not keeping {path.name}: {size} bytes is over the {limit} byte limit")
        return False
    return True


# ---------------------------------------------------------- (a) SmolLM2 ---

def read_gguf_tokenizer(path: Path) -> dict:
    import gguf  # imported lazily: only this step needs it

    reader = gguf.GGUFReader(str(path))

    def field(name):
        return reader.fields.get(name)

    def strings(name):
        f = field(name)
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    def scalars(name):
        f = field(name)
        return [f.parts[i].tolist()[0] for i in f.data]

    def scalar(name):
        f = field(name)
        return None if f is None else f.parts[-1].tolist()[0]

    def string(name):
        f = field(name)
        return None if f is None else bytes(f.parts[-1]).decode("utf-8")

    return {
        "model": string("tokenizer.ggml.model"),
        "pre": string("tokenizer.ggml.pre"),
        "tokens": strings("tokenizer.ggml.tokens"),
        "merges": strings("tokenizer.ggml.merges"),
        "token_type": scalars("tokenizer.ggml.token_type"),
        "bos": scalar("tokenizer.ggml.bos_token_id"),
        "eos": scalar("tokenizer.ggml.eos_token_id"),
        "pad": scalar("tokenizer.ggml.padding_token_id"),
        "unk": scalar("tokenizer.ggml.unknown_token_id"),
        "add_bos": scalar("tokenizer.ggml.add_bos_token"),
        "chat_template": string("tokenizer.chat_template"),
    }


def build_smollm2(meta: dict) -> Tokenizer:
    """SmolLM2's tokenizer.json, rebuilt from GGUF arrays.

    HF SmolLM2 ships: model BPE (no unk, no byte fallback), normalizer null,
    pre_tokenizer Sequence[Digits(individual_digits=true),
    ByteLevel(add_prefix_space=false, use_regex=true)], decoder ByteLevel,
    post_processor ByteLevel, and its 17 leading control tokens as special
    added tokens (normalized=false). llama.cpp's "smollm" pre-type is the same
    split: \\p{N} isolated first, then the GPT-2 regex.
    """
    assert meta["model"] == "gpt2" and meta["pre"] == "smollm", meta["pre"]
    vocab = {tok: i for i, tok in enumerate(meta["tokens"])}
    merges = [tuple(m.split(" ")) for m in meta["merges"]]
    bpe = models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = [t for t, kind in zip(meta["tokens"], meta["token_type"]) if kind == 3]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tok


# ------------------------------------------------------ (b) SentencePiece ---

def spm_merges_from_scores(vocab: dict[str, int], scores: list[float]) -> list[tuple[str, str]]:
    """Llama-style merge list: every split of every piece whose halves are in
    the vocabulary, ordered by the merged piece's score (descending), then the
    merged piece id, then the ids of the halves. This is how HF converts a
    SentencePiece BPE model, and what LucidText derives from GGUF scores."""
    candidates = []
    for piece, pid in vocab.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                candidates.append((-scores[pid], pid, vocab[left], vocab[right], left, right))
    candidates.sort()
    return [(c[4], c[5]) for c in candidates]


def build_spm(out: Path) -> None:
    trainer_tok = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_tok.normalizer = normalizers.Sequence([
        normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer_tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="never", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=700, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    trainer_tok.train_from_iterator(TRAIN_TEXT * 4, trainer=trainer)
    trained = sorted(trainer_tok.get_vocab(with_added_tokens=False).items(), key=lambda kv: kv[1])

    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [t for t, _ in trained if t not in ("<unk>", "<s>", "</s>")]
    vocab = {t: i for i, t in enumerate(tokens)}
    types = [2, 3, 3] + [6] * 256 + [1] * (len(tokens) - 259)
    scores = [0.0 if kind != 1 else -float(i) for i, kind in enumerate(types)]
    merges = spm_merges_from_scores(vocab, scores)

    def make(legacy: bool) -> Tokenizer:
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>",
                                   fuse_unk=True, byte_fallback=True))
        if legacy:
            tok.normalizer = normalizers.Sequence([
                normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
            tok.decoder = decoders.Sequence([
                decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                decoders.Strip(" ", 1, 0)])
        else:
            tok.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="first", split=False)
            tok.decoder = decoders.Sequence([
                decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False),
                decoders.ByteFallback(), decoders.Fuse()])
        tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                                for t in ("<unk>", "<s>", "</s>")])
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
        return tok

    legacy = make(True)
    if not save_small(legacy, out / "spm_tokenizer.json"):
        sys.exit("the tiny SentencePiece fixture must stay small")
    write_jsonl(out / "spm_golden.jsonl", golden_rows(legacy, CORPUS))
    meta = make(False)
    if not save_small(meta, out / "spm_metaspace_tokenizer.json"):
        sys.exit("the tiny Metaspace fixture must stay small")
    write_jsonl(out / "spm_metaspace_golden.jsonl", golden_rows(meta, CORPUS))
    (out / "spm_gguf_metadata.json").write_text(json.dumps({
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": scores,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.add_bos_token": True,
    }, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------- (c) byte-level BPE ---

def build_byte_level(out: Path) -> None:
    base = Tokenizer(models.BPE())
    base.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=900, special_tokens=["<|endoftext|>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    base.train_from_iterator(TRAIN_TEXT * 4, trainer=trainer)
    state = json.loads(base.to_str())
    vocab = state["model"]["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
              for m in state["model"]["merges"]]

    def make(kind: str) -> Tokenizer:
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges,
                                   ignore_merges=(kind == "llama3")))
        if kind == "gpt2":
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        else:
            pattern = LLAMA3_PATTERN if kind == "llama3" else QWEN2_PATTERN
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        if kind == "qwen2":
            tok.normalizer = normalizers.NFC()
        tok.decoder = decoders.ByteLevel()
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<s>", "</s>",
                    "<|begin_of_text|>"]
        tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
        tok.add_tokens([
            AddedToken("[NEW]", special=False, normalized=False),
            AddedToken("hello_world", special=False, single_word=True, normalized=False),
            AddedToken("<tool→>", special=False, rstrip=True, normalized=False),
            AddedToken("«SEP»", special=False, normalized=True),
        ])
        if kind == "gpt2":
            tok.post_processor = processors.TemplateProcessing(
                single="<s> $A </s>", special_tokens=[("<s>", tok.token_to_id("<s>")),
                                                     ("</s>", tok.token_to_id("</s>"))])
        elif kind == "llama3":
            bot = tok.token_to_id("<|begin_of_text|>")
            tok.post_processor = processors.Sequence([
                processors.ByteLevel(trim_offsets=False),
                processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                              special_tokens=[("<|begin_of_text|>", bot)])])
        else:
            tok.post_processor = processors.ByteLevel(trim_offsets=False)
        return tok

    for kind in ("gpt2", "llama3", "qwen2"):
        tok = make(kind)
        if not save_small(tok, out / f"bpe_{kind}_tokenizer.json"):
            sys.exit(f"the tiny {kind} fixture must stay small")
        write_jsonl(out / f"bpe_{kind}_golden.jsonl", golden_rows(tok, CORPUS))


def build_pretokenize(out: Path) -> None:
    splitters = {
        "gpt2": pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated"),
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        "qwen2": pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated"),
        "smollm": pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated")]),
    }
    extra = ["'ſ 'K 'S", "\u2028line sep\u2029para", "  \n  x", " \r\n \n y", "a\n\n\n",
             "x  !!\n\n", "'''s", "1 22 333 4444 55555", " ½¾ ⅓", "\t\tz"]
    rows = []
    for text in CORPUS + extra:
        row = {"text": text}
        for name, splitter in splitters.items():
            row[name] = [piece for piece, _ in splitter.pre_tokenize_str(text)]
        rows.append(row)
    write_jsonl(out / "pretokenize_golden.jsonl", rows)


# ------------------------------------------------------------------ main ---

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", default=os.environ.get(
        "LUCID_SMOLLM2_GGUF", os.path.expanduser("~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf")))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent
                                             / "Tests/LucidTextTests/Fixtures"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    meta = read_gguf_tokenizer(Path(args.gguf))
    smollm2 = build_smollm2(meta)
    save_small(smollm2, out / "smollm2_tokenizer.json", limit=3_000_000)
    chat_user_only = render_jinja(meta["chat_template"], [{"role": "user", "content": "Hi!"}], True)
    texts = CORPUS + SMOLLM2_SPECIALS_IN_TEXT + [chat_user_only]
    write_jsonl(out / "smollm2_golden.jsonl", golden_rows(smollm2, texts))

    build_spm(out)
    build_byte_level(out)
    build_pretokenize(out)
    build_chat(out, meta["chat_template"])
    for path in sorted(out.iterdir()):
        print(f"{path.stat().st_size:>9}  {path.name}")


if __name__ == "__main__":
    main()
