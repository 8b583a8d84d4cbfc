#!/usr/bin/env python3
"""Reference side of `lucid bench generate`: SmolLM2-135M-Instruct greedy decoding (f32, or bf16 with
--dtype bf16) with Hugging Face transformers on the same libtorch (the torch wheel of
scripts/setup.sh), batch 1.

Loads the GGUF exactly as scripts/make_smollm2_fixtures.py does (gguf dequantisation into a
transformers LlamaForCausalLM; for bf16 the dequantised f32 weights are cast, as Lucid's
`--dtype bf16` does), renders a chat prompt, then times prefill (one forward over the
prompt) and decode (`generate` with `min_new_tokens = max_new_tokens`, EOS disabled). Best of
`--repeats` runs. Prints JSON with the prompt ids so Lucid replays exactly the same work.
"""
import argparse
import ctypes
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_reference  # noqa: E402  (OpenBLAS thread control)
import make_smollm2_fixtures as smol  # noqa: E402

import jinja2  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf", default=os.environ.get(
        "LUCID_SMOLLM2_GGUF", os.path.expanduser("~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf")))
    parser.add_argument("--prompt", default="Give me a short introduction to large language models and how they are trained.")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--threads", default="1:2", help="INTRA:BLAS thread setting")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    args = parser.parse_args()

    reader, tokenizer, model = bench_reference.smollm2_reference(args.gguf, args.threads)
    template = jinja2.Environment().from_string(smol.field(reader, "tokenizer.chat_template"))
    text = template.render(messages=[{"role": "user", "content": args.prompt}], add_generation_prompt=True)
    ids = tokenizer.encode(text).ids
    if args.dtype == "bf16":
        model = model.to(torch.bfloat16)
    model.generation_config.eos_token_id = None
    input_ids = torch.tensor([ids])
    mask = torch.ones_like(input_ids)

    best_prefill, best_decode, tokens = float("inf"), float("inf"), []
    with torch.no_grad():
        model(input_ids)  # warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            model(input_ids, use_cache=True)
            best_prefill = min(best_prefill, time.perf_counter() - start)
            start = time.perf_counter()
            out = model.generate(input_ids, attention_mask=mask, max_new_tokens=args.new_tokens,
                                 min_new_tokens=args.new_tokens, do_sample=False, num_beams=1, pad_token_id=0)
            total = time.perf_counter() - start
            tokens = out[0, len(ids):].tolist()
            # generate() includes one prefill; decode time is the rest.
            best_decode = min(best_decode, total - best_prefill)
    result = {
        "implementation": "transformers", "transformers": __import__("transformers").__version__,
        "torch": torch.__version__, "threads": args.threads, "dtype": args.dtype, "prompt_ids": ids,
        "prompt_tokens": len(ids), "new_tokens": len(tokens), "tokens": tokens,
        "prefill_tokens_per_second": len(ids) / best_prefill,
        "decode_tokens_per_second": (len(tokens) - 1) / best_decode,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
