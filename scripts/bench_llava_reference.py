#!/usr/bin/env python3
"""Reference side of `lucid bench llava`: LLaVA prefill of an image-bearing prompt and greedy
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
  [-1.79, 2.15] (the range CLIP normalisation gives); each side casts them to the model dtype;
- for LLaVA-NeXT and LLaVA-OneVision (`model_type` llava_next / llava_onevision): the tiles of a
  640 × 480 image instead, pixel_values [1, 1 + tiles, 3, S, S] of the same draw, image_sizes [[480, 640]],
  and as many placeholders as transformers' `pack_image_features` gives that image (computed on zeros).

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


# The original size of the anyres models' image (a COCO-sized 640 × 480 photo, as (height, width)).
ANYRES_IMAGE = (480, 640)


def anyres_inputs(model_dir):
    """LLaVA-NeXT / LLaVA-OneVision: the tile stack [1, 1 + tiles, 3, S, S] of a 640 × 480 image, its
    image_sizes, and the packed feature count transformers computes for it (from zeros, no tower pass)."""
    from transformers import AutoConfig
    from transformers.models.llava_next import modeling_llava_next as next_module
    config = AutoConfig.from_pretrained(model_dir)
    size, patch = config.vision_config.image_size, config.vision_config.patch_size
    tiles = next_module.image_size_to_num_patches(image_size=ANYRES_IMAGE, grid_pinpoints=config.image_grid_pinpoints,
                                                  patch_size=size)
    if config.model_type == "llava_onevision":
        from transformers.models.llava_onevision.modeling_llava_onevision import LlavaOnevisionModel as Model
        kwargs = dict(vision_aspect_ratio=config.vision_aspect_ratio)
    else:
        Model = next_module.LlavaNextModel
        kwargs = dict(vision_feature_select_strategy=config.vision_feature_select_strategy)
    # What pack_image_features receives: each tile's patch features after selection, (S / P)² of them.
    features = [torch.zeros(tiles, (size // patch) ** 2, config.text_config.hidden_size)]
    packer = type("Packer", (), {"config": config})()
    _, lengths = Model.pack_image_features(packer, features, torch.tensor([ANYRES_IMAGE]),
                                           image_newline=torch.zeros(config.text_config.hidden_size), **kwargs)
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randn([1, tiles, 3, size, size], generator=generator).clamp(-1.79, 2.15)
    return config.image_token_index, int(lengths[0]), pixels, config.text_config.vocab_size


def make_inputs(path, model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        anyres = json.load(f).get("model_type") in ("llava_next", "llava_onevision")
    if anyres:
        image_token, count, pixels, vocab = anyres_inputs(model_dir)
    else:
        image_token, count, size, vocab = image_layout(model_dir)
        generator = torch.Generator().manual_seed(0)
        pixels = torch.randn([1, 3, size, size], generator=generator).clamp(-1.79, 2.15)
    # Small test models: fold the fixed ids into their vocabulary, below the placeholder id.
    text = [x if x < min(vocab, image_token) else x % image_token for x in PREFIX + SUFFIX]
    ids = torch.tensor([text[:len(PREFIX)] + [image_token] * count + text[len(PREFIX):]], dtype=torch.int64)
    from safetensors.torch import save_file
    tensors = {"input_ids": ids, "pixel_values": pixels.contiguous()}
    if anyres:
        tensors["image_sizes"] = torch.tensor([ANYRES_IMAGE], dtype=torch.int64)
    save_file(tensors, path)


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
    from transformers import AutoModelForImageTextToText, LogitsProcessor, LogitsProcessorList
    inputs = load_file(args.inputs)
    device = torch.device(args.device)
    input_ids = inputs["input_ids"].to(device)
    pixels = inputs["pixel_values"].to(dtype).to(device)
    extra = {"image_sizes": inputs["image_sizes"].to(device)} if "image_sizes" in inputs else {}
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    start = time.perf_counter()
    model = AutoModelForImageTextToText.from_pretrained(args.model, dtype=dtype, device_map=args.device if device.type != "cpu" else None)
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
        out = model.generate(input_ids=input_ids, pixel_values=pixels, **extra, attention_mask=torch.ones_like(input_ids),
                             max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, do_sample=False,
                             num_beams=1, pad_token_id=0, logits_processor=LogitsProcessorList([clock]))
    tokens = out[0, input_ids.shape[1]:].tolist()
    prefill = clock.times[0] - start
    decode = clock.times[-1] - clock.times[0]
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    print(json.dumps({
        "implementation": "transformers", "transformers": __import__("transformers").__version__,
        "torch": torch.__version__, "threads": args.threads, "dtype": args.dtype, "device": args.device,
        "prompt_tokens": input_ids.shape[1], "image_tokens": int((input_ids == model.config.image_token_index).sum()), "new_tokens": len(tokens), "tokens": tokens,
        "load_seconds": load_seconds, "prefill_seconds": prefill,
        "decode_tokens_per_second": (len(clock.times) - 1) / decode,
        "weight_bytes": weight_bytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }, indent=1))


if __name__ == "__main__":
    main()
