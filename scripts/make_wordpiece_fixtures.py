#!/usr/bin/env python3
"""Golden fixtures that pin LucidText's WordPiece (BERT) tokenizer to Hugging Face.

InstructBLIP's Q-Former reads the instruction through a BERT tokenizer (`qformer_tokenizer/` in
the checkpoint, `BertTokenizerFast`). This trains a small WordPiece vocabulary on the shared
tokenizer corpus, loads it the way the Hub checkpoints are loaded (transformers 5's `BertTokenizer`, lowercasing), saves it with `save_pretrained` (the tokenizer.json layout transformers
ships: BertNormalizer, BertPreTokenizer, WordPiece, TemplateProcessing [CLS] $A [SEP], WordPiece
decoder) and writes the ids and decodes of the corpus plus BERT-specific text.

Usage (venv from `scripts/setup.sh --bench`: transformers 5.23.0, tokenizers 0.23.3):
    .venv-bench/bin/python scripts/make_wordpiece_fixtures.py [--out Tests/LucidTextTests/Fixtures]

Writes wordpiece_tokenizer.json and wordpiece_golden.jsonl (the line format of
make_tokenizer_fixtures.py: text, ids, ids_plain, decoded, decoded_skip).
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer_fixtures import CORPUS, golden_rows, write_jsonl  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402
from transformers import BertTokenizerFast  # noqa: E402

BERT_TEXT = [
    "What is unusual about this image?",
    "Describe the image in detail.",
    "Café déjà vu — naïve façade, résumé ÅNGSTRÖM",
    "中国的猫 and 日本の犬 (kana stays whole), 한국어",
    "tabs\tand\nnewlines\r\nand\u00a0no-break\u2003em spaces",
    "control\u0007bell\u0000nul\ufffdreplacement\u200bzero-width\u00adsoft-hyphen",
    "symbols $5 + 3 = 8 ^ `tick` | ~tilde <tag> @user #hash 100% & *star* _under_",
    "unicode punctuation: «quotes» “curly” ‘single’ — dash … ellipsis ¿qué? ¡sí!",
    "don't won't I'm you're we've it's do not",
    "x" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "emoji 🙂 and 🚀 are unknown",
    "[CLS] [SEP] [MASK] inside text",
    "UPPER lower MiXeD",
    "numbers 3.14159 1,000,000 2026-12-02",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="Tests/LucidTextTests/Fixtures")
    args = parser.parse_args()
    out = Path(args.out)
    texts = CORPUS + BERT_TEXT

    trainer_tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    trainer_tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    trainer_tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials, min_frequency=1)
    trainer_tok.train_from_iterator(texts * 3, trainer=trainer)
    vocab = sorted(trainer_tok.get_vocab().items(), key=lambda item: item[1])

    with tempfile.TemporaryDirectory() as work:
        # transformers 5's BertTokenizer (the tokenizers backend) takes the vocabulary itself.
        bert = BertTokenizerFast(vocab=dict(vocab), do_lower_case=True)
        bert.save_pretrained(work)
        saved = json.loads((Path(work) / "tokenizer.json").read_text(encoding="utf-8"))
    backend = Tokenizer.from_str(json.dumps(saved))
    (out / "wordpiece_tokenizer.json").write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    write_jsonl(out / "wordpiece_golden.jsonl", golden_rows(backend, texts))
    print(f"vocabulary {len(vocab)}, {len(texts)} texts -> {out}/wordpiece_*")
    for key in ["normalizer", "pre_tokenizer", "post_processor", "decoder"]:
        print(key, json.dumps(saved[key])[:160])


if __name__ == "__main__":
    main()
