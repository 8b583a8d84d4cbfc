#!/usr/bin/env python3
"""Reference side of `lucid bench llava`: LLaVA-1.5 prefill of an image-bearing prompt and greedy
decode with Hugging Face transformers on the same libtorch (the torch wheel of scripts/setup.sh).

Meant for the synthetic LLaVA-1.5-7B-shaped checkpoint (scripts/make_synthetic_checkpoint.py), which
has no tokenizer or image processor, so the inputs are built explicitly and written to --inputs
(a safetensors file) for Lucid to replay exactly:

- input_ids [1, T] (int64): BOS, fixed in-vocabulary ids standing for the LLaVA-1.5 template's
  "USER: " prefix, 576 image placeholders (image_token_index 32000: one per CLIP-336 patch, the
  expanded form transformers 5 expects), fixed ids for "\\n<question> ASSISTANT:". The weights are
  random, so what the ids would spell does not matter, only the count (T = 595 on the 7B shape; a
  small test model gets its own placeholder count and image size from config.json);
- pixel_values [1, 3, 336, 336] (f32): N(0, 1) from a generator seeded with 0, clamped to
  [-1.79, 2.15] (the range CLIP normalisation gives); each side casts them to the model dtype.

Protocol (both sides alike): the page cache is warmed by the caller (bench.sh reads the shards
first); "load" is from_pretrained plus one read of every parameter (so the weights are resident
before the timed prefill; Lucid maps files lazily and does the same); one `generate` with greedy
decoding and EOS disabled, timed by a logits processor called once per new token: prefill = start →
first call (vision tower, projector and the language model over the 600 positions), decode = first
→ last call (new_tokens − 1 forward passes). Prints JSON.
"""
import argparse
import json
import os
import resource
import time

import torch

PREFIX = [1, 3148, 1001, 29901, 29871]  # BOS + fixed ids for the template's "USER: "
SUFFIX = [29871, 13, 5618, 338, 4318, 297, 278, 1967, 29973, 319, 1799, 9047, 13566, 29901]  # "\n… ASSISTANT:"


def image_layout(model_dir):
    """(image_token_index, placeholders per image, image size, vocabulary size) from config.json."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    vision = config["vision_config"]
    size = vision.get("image_size", 224)
    count = (size // vision.get("patch_size", 32)) ** 2
    # `full` keeps CLIP's class token; a SigLIP tower has none (`default` would drop its first patch).
    has_class_token = vision.get("model_type", "clip_vision_model") != "siglip_vision_model"
    count += (1 if has_class_token else 0) - (1 if config.get("vision_feature_select_strategy", "default") == "default" else 0)
    return config.get("image_token_index", 32000), count, size, config["text_config"]["vocab_size"]


def make_inputs(path, model_dir):
    image_token, count, size, vocab = image_layout(model_dir)
    # Small test models: fold the fixed ids into their vocabulary, below the placeholder id.
    text = [x if x < min(vocab, image_token) else x % image_token for x in PREFIX + SUFFIX]
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randn([1, 3, size, size], generator=generator).clamp(-1.79, 2.15)
    ids = torch.tensor([text[:len(PREFIX)] + [image_token] * count + text[len(PREFIX):]], dtype=torch.int64)
    from safetensors.torch import save_file
    save_file({"input_ids": ids, "pixel_values": pixels.contiguous()}, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="LLaVA checkpoint directory")
    parser.add_argument("--inputs", required=True, help="safetensors with input_ids and pixel_values (written if absent)")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", choices=["bf16", "f32"], default="bf16")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]; on a GPU the clock synchronises first")
    args = parser.parse_args()
    if args.new_tokens < 2:
        parser.error("--new-tokens must be ≥ 2")
    if not os.path.exists(args.inputs):
        make_inputs(args.inputs, args.model)
    torch.set_num_threads(args.threads)
    dtype = {"bf16": torch.bfloat16, "f32": torch.float32}[args.dtype]

    from safetensors.torch import load_file
    from transformers import LlavaForConditionalGeneration, LogitsProcessor, LogitsProcessorList
    inputs = load_file(args.inputs)
    device = torch.device(args.device)
    input_ids = inputs["input_ids"].to(device)
    pixels = inputs["pixel_values"].to(dtype).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    start = time.perf_counter()
    model = LlavaForConditionalGeneration.from_pretrained(args.model, dtype=dtype, device_map=args.device if device.type != "cpu" else None)
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            p.sum()
    sync()
    load_seconds = time.perf_counter() - start
    model.generation_config.eos_token_id = None

    class Clock(LogitsProcessor):
        def __init__(self):
            self.times = []

        def __call__(self, ids, scores):
            sync()
            self.times.append(time.perf_counter())
            return scores

    clock = Clock()
    with torch.no_grad():
        sync()
        start = time.perf_counter()
        out = model.generate(input_ids=input_ids, pixel_values=pixels, attention_mask=torch.ones_like(input_ids),
                             max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, do_sample=False,
                             num_beams=1, pad_token_id=0, logits_processor=LogitsProcessorList([clock]))
    tokens = out[0, input_ids.shape[1]:].tolist()
    prefill = clock.times[0] - start
    decode = clock.times[-1] - clock.times[0]
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    print(json.dumps({
        "implementation": "transformers", "transformers": __import__("transformers").__version__,
        "torch": torch.__version__, "threads": args.threads, "dtype": args.dtype, "device": args.device,
        "prompt_tokens": input_ids.shape[1], "image_tokens": image_layout(args.model)[1], "new_tokens": len(tokens), "tokens": tokens,
        "load_seconds": load_seconds, "prefill_seconds": prefill,
        "decode_tokens_per_second": (len(clock.times) - 1) / decode,
        "weight_bytes": weight_bytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }, indent=1))


if __name__ == "__main__":
    main()
