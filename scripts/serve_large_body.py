#!/usr/bin/env python3
"""Does a large request body hold up other requests' generation in `lucid serve` (docs/serve.md)?

Starts `lucid serve` on a free loopback port, streams one greedy chat completion, and once it has streamed
ten chunks posts a chat request whose message is --megabytes of English text (far over --max-prompt-tokens, so
it is refused once encoded). Prints how long the large request took, and the stream's median gap between
chunks and its largest gap after the large request was sent: a prompt encoded on the model's thread shows
as a gap as long as the encoding. Also times `/tokenize` of the same text, and how long a short `/tokenize` and a
short chat completion (max_tokens 1) sent 0.8 s after it take: a tokenizer line that large and short texts share
shows as the large one's time. Last, two bodies of that size whose JSON breaks at their end, sent at once, and a
short `/tokenize` 0.1 s after them: bodies parsed on the HTTP handlers' threads (one per core) would hold it up.
Exits 1 when the stream failed.
Stdlib only (urllib in threads), helpers from serve_load.py.

Example:
  python3 scripts/serve_large_body.py --lucid .build/release/lucid --model smollm2 --megabytes 15
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import free_port, post, start_server, stop_server  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lucid", required=True, help="the lucid binary (a release build)")
    parser.add_argument("--model", default="smollm2", help="a text model name lucid serve opens")
    parser.add_argument("--megabytes", type=float, default=15.0, help="size of the large message (the body limit is 16 MB)")
    parser.add_argument("--stream-tokens", type=int, default=200, help="max_tokens of the streamed generation")
    parser.add_argument("--server-arg", action="append", default=[], help="an extra lucid serve argument (repeatable)")
    args = parser.parse_args()
    if not 0 < args.megabytes < 16 or args.stream_tokens < 20:
        parser.error("--megabytes must be in (0, 16) and --stream-tokens at least 20")
    server, base = start_server(args, free_port())
    try:
        word = "the quick brown fox jumps over the lazy dog "
        text = word * int(args.megabytes * 1e6 / len(word))
        stamps, failure = [], []

        def streamer():
            body = {"model": args.model, "messages": [{"role": "user", "content": "Write a long story about a dragon."}],
                    "max_tokens": args.stream_tokens, "stream": True}
            request = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    for raw in response:
                        if raw.startswith(b"data: "):
                            stamps.append(time.perf_counter())
            except Exception as error:  # noqa: BLE001 - reported below
                failure.append(repr(error))

        thread = threading.Thread(target=streamer)
        thread.start()
        while len(stamps) < 10 and thread.is_alive():
            time.sleep(0.02)
        sent = time.perf_counter()
        seconds, _, error = post(base + "/v1/chat/completions", {"model": args.model, "messages": [{"role": "user", "content": text}],
                                                                 "max_tokens": 4}, 600)
        thread.join()
        if failure or len(stamps) < 12:
            print(f"the stream failed: {failure or len(stamps)}")
            return 1
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        after = [b - a for a, b in zip(stamps, stamps[1:]) if b > sent]
        print(f"large chat request ({len(text) / 1e6:.1f} MB) answered in {seconds:.2f} s: {(error or 'ok')[:100]}")
        print(f"stream: {len(stamps)} chunks, median gap {sorted(gaps)[len(gaps) // 2] * 1000:.0f} ms, "
              f"largest gap after the large request was sent {max(after, default=0):.2f} s")
        large = {}

        def tokenize_large():
            large["result"] = post(base + "/tokenize", {"prompt": text}, 600)

        thread = threading.Thread(target=tokenize_large)
        thread.start()
        time.sleep(0.8)
        short_tokenize, _, short_error = post(base + "/tokenize", {"prompt": "What is the capital of France?"}, 600)
        short_chat, _, chat_error = post(base + "/v1/chat/completions",
                                         {"model": args.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}, 600)
        thread.join()
        seconds, payload, error = large["result"]
        print(f"/tokenize of the same text: {seconds:.2f} s, {payload['count'] if payload else error} tokens")
        print(f"sent 0.8 s after it: a short /tokenize answered in {short_tokenize:.3f} s ({short_error or 'ok'}), "
              f"then a short chat completion (max_tokens 1) in {short_chat:.3f} s ({(chat_error or 'ok')[:80]})")
        broken = (json.dumps({"prompt": text})[:-1] + ', "x": }').encode()
        times = []

        def send_broken():
            request = urllib.request.Request(base + "/tokenize", data=broken, headers={"Content-Type": "application/json"})
            start = time.perf_counter()
            try:
                urllib.request.urlopen(request, timeout=600).read()
            except Exception:  # noqa: BLE001 - a 400 is the expected answer
                pass
            times.append(time.perf_counter() - start)

        threads = [threading.Thread(target=send_broken) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.1)
        short_tokenize, _, short_error = post(base + "/tokenize", {"prompt": "What is the capital of France?"}, 600)
        for thread in threads:
            thread.join()
        print(f"two broken {len(broken) / 1e6:.1f} MB bodies at once, refused in {', '.join(f'{t:.2f}' for t in sorted(times))} s; "
              f"a short /tokenize sent 0.1 s after them answered in {short_tokenize:.3f} s ({short_error or 'ok'})")
        return 0
    finally:
        stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
