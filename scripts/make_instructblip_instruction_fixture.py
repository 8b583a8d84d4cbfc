#!/usr/bin/env python3
"""InstructBLIP's Q-Former instruction from text, as transformers' `InstructBlipProcessor` builds it.

Adds to the tiny InstructBLIP fixture (Tests/LucidModelsTests/Fixtures/instructblip/, made by
make_instructblip_fixtures.py) a `model/qformer_tokenizer/`: a BERT WordPiece tokenizer with a
vocabulary that fits the tiny Q-Former's 60 ids, saved by transformers 5.23's `BertTokenizer` as
`InstructBlipProcessor.save_pretrained` does. Then runs the processor on `image.png` and a prompt and
the model on its `qformer_input_ids`, `pixel_values` and the fixture's `input_ids`, and writes
`instruction.safetensors`: `qformer_input_ids`, `pixel_values`, `logits`; the prompt is in its metadata.

Run from the repository root:  .venv-bench/bin/python scripts/make_instructblip_instruction_fixture.py
"""
import os
import sys

import torch
import transformers
from PIL import Image
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import BertTokenizer, InstructBlipForConditionalGeneration, InstructBlipProcessor
from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

FIXTURE = os.path.join("Tests", "LucidModelsTests", "Fixtures", "instructblip")
PROMPT = "What is unusual about this Image?"
CORPUS = ["what is unusual about this image", "describe the image in detail", "what colour is the ball",
          "is there a cat in the picture"]


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    model_dir = os.path.join(FIXTURE, "model")
    trainer_tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    trainer_tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    trainer_tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=60, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    trainer_tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    vocab = trainer_tok.get_vocab()
    assert max(vocab.values()) < 60, f"vocabulary of {len(vocab)} does not fit the Q-Former's 60 ids"
    qformer_tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True)
    qformer_tokenizer.save_pretrained(os.path.join(model_dir, "qformer_tokenizer"))

    image_processor = BlipImageProcessorPil.from_pretrained(model_dir)
    # The LLM-side tokenizer is a separate copy (the processor adds its image token there); only the
    # Q-Former's ids and the pixels are used.
    processor = InstructBlipProcessor(image_processor=image_processor, tokenizer=BertTokenizer(vocab=dict(vocab)),
                                      qformer_tokenizer=qformer_tokenizer, num_query_tokens=4)
    inputs = processor(images=Image.open(os.path.join(FIXTURE, "image.png")), text=PROMPT, return_tensors="pt")
    golden = load_file(os.path.join(FIXTURE, "golden.safetensors"))
    model = InstructBlipForConditionalGeneration.from_pretrained(model_dir, attn_implementation="eager").eval()
    ids = golden["input_ids"]
    expanded = torch.cat([ids[:, :1].repeat(1, 4), ids[:, 1:]], dim=1)  # one placeholder -> the 4 query tokens
    with torch.no_grad():
        out = model(pixel_values=inputs["pixel_values"], qformer_input_ids=inputs["qformer_input_ids"],
                    qformer_attention_mask=inputs["qformer_attention_mask"], input_ids=expanded)
    tensors = {"qformer_input_ids": inputs["qformer_input_ids"], "pixel_values": inputs["pixel_values"], "logits": out.logits}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(FIXTURE, "instruction.safetensors"),
              metadata={"prompt": PROMPT, "transformers": transformers.__version__, "torch": torch.__version__})
    print(f"qformer_input_ids {inputs['qformer_input_ids'].tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
