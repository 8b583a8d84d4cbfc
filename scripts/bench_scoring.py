#!/usr/bin/env python3
"""Loglikelihood scoring through `lucid serve`'s /v1/completions against transformers on the same model.

lm-evaluation-harness's `local-completions` model scores a (context, continuation) pair by sending the
pair's token ids with `max_tokens: 1, logprobs: 1, echo: true, temperature: 0` and summing
`token_logprobs[ctxlen:-1]`; "greedy" is each of those tokens being its step's likeliest. This script
sends exactly that payload for every pair to a `lucid serve --model smollm2` it starts on a free
loopback port (one request at a time, HTTP included in the time), and computes the same two numbers
with transformers from the same GGUF (dequantised to f32 as scripts/make_smollm2_fixtures.py does, SDPA
attention, one forward pass per pair, on the torch wheel Lucid links). It prints per pair the two
log-likelihoods, their difference and the greedy flags, then the seconds per pair each side and the
ratio. Exits 1 when a difference passes --tolerance or a greedy flag differs.

Run with the .venv-bench made by `scripts/setup.sh --bench`:
  .venv-bench/bin/python scripts/bench_scoring.py --lucid .build/release/lucid
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_reference  # noqa: E402  (OpenBLAS thread control)
import serve_load  # noqa: E402  (server start and stop, POST)

# (context, continuation) pairs in the shape of multiple-choice tasks: a passage, then each answer.
PAIRS = [
    ("The capital of France is", " Paris"),
    ("The capital of France is", " Berlin"),
    ("Water boils at sea level at a temperature of", " 100 degrees Celsius"),
    ("Water boils at sea level at a temperature of", " 40 degrees Celsius"),
    ("A man is sitting on a roof. He starts pulling up roofing on a roof. He", " is using a hammer to remove the shingles."),
    ("A man is sitting on a roof. He starts pulling up roofing on a roof. He", " sings a song about the ocean to his cat."),
    ("Question: Which gas do plants absorb from the air for photosynthesis?\nAnswer:", " carbon dioxide"),
    ("Question: Which gas do plants absorb from the air for photosynthesis?\nAnswer:", " helium"),
]


def best_pass(score, requests, repeats):
    """After one warm-up call, `repeats` passes of `score` over every request: the best seconds per request
    and the last pass's answers."""
    score(*requests[0])
    best, answers = float("inf"), []
    for _ in range(repeats):
        start = time.perf_counter()
        answers = [score(ctx, ids) for ctx, ids in requests]
        best = min(best, (time.perf_counter() - start) / len(requests))
    return best, answers


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lucid", default=".build/release/lucid")
    parser.add_argument("--gguf", default=os.environ.get(
        "LUCID_SMOLLM2_GGUF", os.path.expanduser("~/.cache/lucid/models/SmolLM2-135M-Instruct.Q4_1.gguf")))
    parser.add_argument("--threads", default="1:2", help="INTRA:BLAS thread setting of the reference")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the pairs each side; the best is kept")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest |Δ log-likelihood| per pair")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()

    _, tokenizer, model = bench_reference.smollm2_reference(args.gguf, args.threads)
    requests = []
    for context, continuation in PAIRS:
        ctx = tokenizer.encode(context).ids
        requests.append((ctx, ctx + tokenizer.encode(continuation).ids))

    def reference(ctx, ids):
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
        targets = ids[len(ctx):]
        rows = logprobs[len(ctx) - 1:len(ids) - 1]
        chosen = rows.gather(-1, torch.tensor(targets).unsqueeze(-1)).squeeze(-1)
        return chosen.sum().item(), bool((rows.argmax(-1) == torch.tensor(targets)).all())

    best_reference, expected = best_pass(reference, requests, args.repeats)

    server, base = serve_load.start_server(argparse.Namespace(lucid=args.lucid, model="smollm2", server_arg=[]), serve_load.free_port())
    failed = False
    try:
        def score(ctx, ids):
            body = {"model": "smollm2", "prompt": [ids], "temperature": 0, "max_tokens": 1, "logprobs": 1, "seed": 1234, "echo": True}
            seconds, payload, error = serve_load.post(base + "/v1/completions", body, args.timeout)
            if error:
                sys.exit(f"request failed: {error}")
            logprobs = payload["choices"][0]["logprobs"]
            values, tops = logprobs["token_logprobs"][len(ctx):-1], logprobs["top_logprobs"][len(ctx):-1]
            return sum(values), all(v == max(t.values()) for v, t in zip(values, tops)), seconds

        best_lucid, answers = best_pass(score, requests, args.repeats)
    finally:
        serve_load.stop_server(server)

    print(f"{'pair':>4} {'tokens':>6} {'lucid':>12} {'transformers':>12} {'|diff|':>9}  greedy")
    worst = 0.0
    for index, ((ctx, ids), (lucid, lucid_greedy, _), (ref, ref_greedy)) in enumerate(zip(requests, answers, expected)):
        diff = abs(lucid - ref)
        worst = max(worst, diff)
        flag = "same" if lucid_greedy == ref_greedy else "DIFFERS"
        failed = failed or diff > args.tolerance or lucid_greedy != ref_greedy
        print(f"{index:>4} {len(ids):>6} {lucid:>12.5f} {ref:>12.5f} {diff:>9.2e}  {lucid_greedy}/{ref_greedy} {flag}")
    print(f"largest |diff| {worst:.2e} (tolerance {args.tolerance:g})")
    print(f"seconds per pair: lucid serve {best_lucid:.4f} (HTTP included), transformers {best_reference:.4f} "
          f"(one forward, threads {args.threads}); lucid / transformers = {best_lucid / best_reference:.2f}")
    print(f"mean prompt {statistics.mean(len(ids) for _, ids in requests):.1f} tokens; best of {args.repeats} passes each")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
