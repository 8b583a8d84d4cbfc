#!/usr/bin/env python3
"""InstructBLIP's prompt ids from text, as transformers' `InstructBlipProcessor` builds them.

InstructBLIP has no chat format: the processor puts `num_query_tokens` image tokens before the
prompt as its tokenizer encodes it alone (with its BOS), and nothing else. This script runs the
processor of transformers 5.23 with the tiny SentencePiece tokenizer of the LucidText fixtures (a
legacy Llama tokenizer, as Vicuna's) and the tiny InstructBLIP fixture's image processor and Q-Former
tokenizer, and writes to Tests/LucidTextTests/Fixtures:
  spm_image_tokenizer.json     that tokenizer with the `<image>` token the processor adds to it
  instructblip_prompts.json    each prompt's `input_ids`, the image token's id and the query count

Run from the repository root:  .venv-bench/bin/python scripts/make_instructblip_prompt_fixture.py
"""
import json
import os
import sys

import torch
import transformers
from PIL import Image
from transformers import BertTokenizer, InstructBlipProcessor, PreTrainedTokenizerFast
from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

TEXT_FIXTURES = os.path.join("Tests", "LucidTextTests", "Fixtures")
BLIP = os.path.join("Tests", "LucidModelsTests", "Fixtures", "instructblip")
QUERY_TOKENS = 4
PROMPTS = ["What is unusual about this image?", "describe the image in detail", "  two  spaces, then more  "]


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(TEXT_FIXTURES, "spm_tokenizer.json"),
                                        bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    processor = InstructBlipProcessor(image_processor=BlipImageProcessorPil.from_pretrained(os.path.join(BLIP, "model")),
                                      tokenizer=tokenizer,
                                      qformer_tokenizer=BertTokenizer.from_pretrained(os.path.join(BLIP, "model", "qformer_tokenizer")),
                                      num_query_tokens=QUERY_TOKENS)
    image = Image.open(os.path.join(BLIP, "image.png"))
    image_token_id = processor.tokenizer.convert_tokens_to_ids("<image>")
    cases = []
    for prompt in PROMPTS:
        ids = processor(images=image, text=prompt, return_tensors="pt")["input_ids"][0].tolist()
        cases.append({"prompt": prompt, "input_ids": ids})
        print(f"{prompt!r}: {ids}", file=sys.stderr)
    processor.tokenizer.backend_tokenizer.save(os.path.join(TEXT_FIXTURES, "spm_image_tokenizer.json"))
    with open(os.path.join(TEXT_FIXTURES, "instructblip_prompts.json"), "w", encoding="utf-8") as f:
        json.dump({"image_token": "<image>", "image_token_id": image_token_id, "num_query_tokens": QUERY_TOKENS,
                   "transformers": transformers.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
