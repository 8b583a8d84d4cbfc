#!/usr/bin/env python3
"""Bounded loopback load test of `lucid serve` (docs/serve.md).

Starts `lucid serve` on a free loopback port, waits for /health, then for each concurrency level runs
that many clients, each sending REQUESTS greedy chat completions back to back (stdlib only: asyncio
with urllib in threads). Prints per level: requests, failures, p50/p99 latency, completion tokens/s
and the ratio to one client; then, for reference, `lucid generate --json` on the same prompt (the
same decode without HTTP), and the server's own seconds per token at concurrency 1.
With --sigterm-streams N it then starts a second server, opens N streaming requests, sends SIGTERM
once every stream has its first content chunk, and reports how each stream ended and the exit code.

Example:
  python3 scripts/serve_load.py --lucid .build/release/lucid --model smollm2 --levels 1 2 4 \
      --requests 4 --max-tokens 32 --server-arg=--max-concurrent=4
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, timeout):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
            return time.perf_counter() - start, payload, None
    except urllib.error.HTTPError as error:
        return time.perf_counter() - start, None, f"HTTP {error.code}: {error.read()[:200]!r}"
    except Exception as error:  # noqa: BLE001 - a failed request is counted, never fatal
        return time.perf_counter() - start, None, repr(error)


async def client(url, body, count, timeout, results):
    for _ in range(count):
        results.append(await asyncio.to_thread(post, url, body, timeout))


async def level(url, body, clients, count, timeout):
    results = []
    start = time.perf_counter()
    await asyncio.gather(*(client(url, body, count, timeout, results) for _ in range(clients)))
    return time.perf_counter() - start, results


def stream(url, body, timeout, first_chunk):
    """Reads one SSE stream; returns (content chunks, ended with [DONE], error)."""
    request = urllib.request.Request(url, data=json.dumps(dict(body, stream=True)).encode(),
                                     headers={"Content-Type": "application/json"})
    chunks, done = 0, False
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            for raw in response:
                line = raw.decode().strip()
                if line == "data: [DONE]":
                    done = True
                elif line.startswith("data: ") and '"content"' in line:
                    chunks += 1
                    if chunks == 2:
                        first_chunk()
        return chunks, done, None
    except Exception as error:  # noqa: BLE001
        return chunks, done, repr(error)


def sigterm_check(args, body):
    port = free_port()
    server = subprocess.Popen([args.lucid, "serve", "--model", args.model, "--port", str(port),
                               f"--max-concurrent={args.sigterm_streams}"] + args.server_arg,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/health", timeout=1).read()
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    import threading
    started = threading.Semaphore(0)
    results = []

    def run():
        results.append(stream(base + "/v1/chat/completions", body, args.timeout, started.release))
    threads = [threading.Thread(target=run) for _ in range(args.sigterm_streams)]
    for t in threads:
        t.start()
    for _ in threads:
        started.acquire(timeout=args.timeout)
    server.send_signal(signal.SIGTERM)
    for t in threads:
        t.join()
    code = server.wait(timeout=60)
    after = None
    try:
        urllib.request.urlopen(base + "/health", timeout=2)
        after = "still answering"
    except Exception:  # noqa: BLE001
        after = "port closed"
    drained = sum(1 for r in results if r[1] and r[2] is None)
    print(f"SIGTERM during {args.sigterm_streams} streams: {drained} ended with [DONE], "
          f"{sum(1 for r in results if r[2])} errors, server exit code {code}, after exit: {after}")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lucid", default=".build/release/lucid")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--requests", type=int, default=4, help="requests per client per level")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--prompt", default="Write a short story about a lighthouse keeper.")
    parser.add_argument("--server-arg", action="append", default=[], help="extra `lucid serve` arguments (repeatable)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--budget", type=float, default=120, help="seconds; levels that would start after it are skipped")
    parser.add_argument("--sigterm-streams", type=int, default=0, help="then SIGTERM a server during this many streams")
    parser.add_argument("--skip-generate", action="store_true", help="skip the `lucid generate` reference")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen([args.lucid, "serve", "--model", args.model, "--port", str(port)] + args.server_arg,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                sys.exit(f"lucid serve exited: {server.stderr.read()}")
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        body = {"model": args.model, "messages": [{"role": "user", "content": args.prompt}],
                "max_tokens": args.max_tokens, "temperature": 0}
        # Warm-up (first forward passes allocate).
        post(base + "/v1/chat/completions", body, args.timeout)
        started = time.perf_counter()
        rows = []
        single = None
        for clients in args.levels:
            if time.perf_counter() - started > args.budget:
                print(f"concurrency {clients}: skipped (past the {args.budget:.0f} s budget)")
                continue
            wall, results = asyncio.run(level(base + "/v1/chat/completions", body, clients, args.requests, args.timeout))
            ok = [r for r in results if r[2] is None]
            failed = [r for r in results if r[2] is not None]
            tokens = sum(r[1]["usage"]["completion_tokens"] for r in ok)
            latencies = [r[0] for r in ok]
            rate = tokens / wall if wall > 0 else 0
            if clients == args.levels[0]:
                single = rate
            server_spt = statistics.mean(r[1]["choices"][0]["lucid"]["seconds_per_token"] for r in ok) if ok else float("nan")
            rows.append((clients, len(results), len(failed), percentile(latencies, 0.5) if ok else float("nan"),
                         percentile(latencies, 0.99) if ok else float("nan"), rate, rate / single if single else float("nan"), server_spt))
            for r in failed[:3]:
                print(f"  failure at concurrency {clients}: {r[2]}")
        print(f"model {args.model}, max_tokens {args.max_tokens}, {args.requests} requests per client, server args {args.server_arg}")
        print("clients  requests  failed  p50_s   p99_s   tokens/s  x_first  server_s/token")
        for row in rows:
            print(f"{row[0]:7d}  {row[1]:8d}  {row[2]:6d}  {row[3]:6.2f}  {row[4]:6.2f}  {row[5]:8.1f}  {row[6]:7.2f}  {row[7]:.4f}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
            print(f"server exit code after SIGTERM: {code}")
        except subprocess.TimeoutExpired:
            server.kill()
            print("server did not exit within 30 s of SIGTERM: killed")

    if args.sigterm_streams:
        sigterm_check(args, body)
    if args.skip_generate:
        return
    # The same decode without HTTP, for the per-token overhead.
    generate = subprocess.run([args.lucid, "generate", "--model", args.model, "--prompt", args.prompt,
                               "--max-new-tokens", str(args.max_tokens), "--json"], capture_output=True, text=True)
    if generate.returncode == 0:
        stats = json.loads(generate.stdout)["stats"]
        spt = stats["decode_seconds"] / max(1, stats["decode_tokens"])
        print(f"lucid generate: {stats['decode_tokens']} tokens, {spt:.4f} s/token decode"
              + (f"; server at concurrency {rows[0][0]}: {rows[0][7]:.4f} s/token ({rows[0][7] / spt:.2f}x)" if rows else ""))
    else:
        print(f"lucid generate failed: {generate.stderr.strip()[:300]}")


if __name__ == "__main__":
    main()
