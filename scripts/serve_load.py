#!/usr/bin/env python3
"""Bounded loopback load test of `lucid serve` (docs/serve.md).

Starts `lucid serve` on a free loopback port, waits for /health, then for each concurrency level runs
that many clients, each sending REQUESTS greedy chat completions back to back (stdlib only: urllib
in threads). Prints per level: requests, failures, p50/p99 latency, completion tokens/s
and the ratio to one client (with the load average, since the machine may be shared). Then the
per-token overhead of serving: --stream-requests streamed requests at concurrency 1, timed by the
client from the first content chunk to the last (seconds per decoded token), against
`lucid generate --json`'s decode seconds per token on the same prompt (the same decode without HTTP,
the median of --generate-runs runs).
With --disconnect-check, a non-streamed request whose client hangs up after a second must leave the
server's running generations (the slot is freed, not decoded to max_tokens for nobody).
With --sigterm-streams N it then starts a second server, opens N streaming requests, sends SIGTERM
once every stream has its first content chunk, reports how each stream ended and the exit code, then
starts a server again on the same port and checks that it serves a request.
Exits 1 when a request failed or a check did not hold.

Example:
  python3 scripts/serve_load.py --lucid .build/release/lucid --model smollm2 --levels 1 4 8 16 \
      --requests 2 --max-tokens 32 --server-arg=--max-concurrent=16 --sigterm-streams 8 --disconnect-check
"""
import argparse
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


def level(url, body, clients, count, timeout):
    """`clients` threads (one connection each at a time), each sending `count` requests back to back."""
    import threading
    results = []

    def client():
        for _ in range(count):
            results.append(post(url, body, timeout))
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, results


def stream(url, body, timeout, first_chunk=None):
    """Reads one SSE stream; returns (content chunks, ended with [DONE], error, seconds from the first
    content chunk to the last, completion tokens from the usage chunk)."""
    request = urllib.request.Request(url, data=json.dumps(dict(body, stream=True, stream_options={"include_usage": True})).encode(),
                                     headers={"Content-Type": "application/json"})
    chunks, done, first, last, tokens = 0, False, None, None, None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            for raw in response:
                line = raw.decode().strip()
                if line == "data: [DONE]":
                    done = True
                elif line.startswith("data: "):
                    payload = json.loads(line[6:])
                    if payload.get("usage"):
                        tokens = payload["usage"]["completion_tokens"]
                    choices = payload.get("choices") or []
                    if choices and choices[0].get("delta", {}).get("content"):
                        now = time.perf_counter()
                        first = first or now
                        last = now
                        chunks += 1
                        if chunks == 2 and first_chunk:
                            first_chunk()
        return chunks, done, None, (last - first) if first else None, tokens
    except Exception as error:  # noqa: BLE001
        return chunks, done, repr(error), None, tokens


def load():
    return os.getloadavg()[0]


def start_server(args, port, extra=()):
    server = subprocess.Popen([args.lucid, "serve", "--model", args.model, "--port", str(port)] + list(extra) + args.server_arg,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        if server.poll() is not None:
            sys.exit(f"lucid serve exited: {server.stderr.read()}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1).read()
            return server, base
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    server.kill()
    sys.exit("lucid serve did not answer /health within 120 s")


def stop_server(server):
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        return "killed (no exit within 60 s of SIGTERM)"


def metric(base, name):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return None


def disconnect_check(base, body, max_tokens, timeout):
    """A non-streamed request whose client hangs up: its generation must end long before max_tokens.
    `ignore_eos` keeps the model from ending it by itself: a server that decoded it for nobody would count
    max_tokens tokens for it (cancelled ones count none), where an early end token had let such a server pass."""
    payload = json.dumps(dict(body, max_tokens=max_tokens, ignore_eos=True)).encode()
    before = metric(base, "lucid_generated_tokens_total") or 0
    host, port = base.rsplit(":", 1)
    with socket.create_connection(("127.0.0.1", int(port))) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        time.sleep(1.0)
        running = metric(base, "lucid_active_generations")
    closed = time.perf_counter()
    freed = None
    while time.perf_counter() - closed < timeout:
        if metric(base, "lucid_active_generations") == 0:
            freed = time.perf_counter() - closed
            break
        time.sleep(0.05)
    after = metric(base, "lucid_generated_tokens_total") or 0
    ok = running == 1 and freed is not None and after - before < max_tokens
    print(f"disconnect check: running before the hang-up {running:.0f}, slot freed {freed if freed is None else f'{freed:.2f} s'} "
          f"after it, tokens counted for it {after - before:.0f} (max_tokens {max_tokens}): {'ok' if ok else 'FAILED'}")
    return ok


def sigterm_check(args, body):
    """SIGTERM during N streams: each must end with [DONE] or a clean close, the server must exit 0, and
    a new server on the same port must serve."""
    port = free_port()
    server, base = start_server(args, port, [f"--max-concurrent={args.sigterm_streams}"])
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
    try:
        urllib.request.urlopen(base + "/health", timeout=2)
        after = "still answering"
    except Exception:  # noqa: BLE001
        after = "port closed"
    drained = sum(1 for r in results if r[1] and r[2] is None)
    errors = [r[2] for r in results if r[2]]
    print(f"SIGTERM during {args.sigterm_streams} streams: {drained} ended with [DONE], {len(errors)} errors"
          + (f" ({errors[0]})" if errors else "") + f", server exit code {code}, after exit: {after}")
    server, base = start_server(args, port)
    _, payload, error = post(base + "/v1/chat/completions", body, args.timeout)
    restarted = error is None and payload["usage"]["completion_tokens"] > 0
    print(f"restart on port {port}: " + (f"served {payload['usage']['completion_tokens']} tokens" if restarted else f"FAILED: {error}")
          + f", exit code after SIGTERM {stop_server(server)}")
    return drained == args.sigterm_streams and code == 0 and after == "port closed" and restarted


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lucid", default=".build/release/lucid")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--requests", type=int, default=2, help="requests per client per level")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--prompt", default="Write a short story about a lighthouse keeper.")
    parser.add_argument("--server-arg", action="append", default=[], help="extra `lucid serve` arguments (repeatable)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--budget", type=float, default=120, help="seconds; levels that would start after it are skipped")
    parser.add_argument("--stream-requests", type=int, default=3, help="streamed requests at concurrency 1 for the per-token overhead")
    parser.add_argument("--generate-runs", type=int, default=3, help="`lucid generate` runs for the reference (0: skip)")
    parser.add_argument("--disconnect-check", action="store_true", help="check that a hung-up non-streamed request frees its slot")
    parser.add_argument("--sigterm-streams", type=int, default=0, help="then SIGTERM a server during this many streams")
    parser.add_argument("--body-extra", type=json.loads, default={},
                        help="a JSON object of fields added to every request, e.g. '{\"repetition_penalty\": 1.2}' "
                             "to time the logits processors (then --generate-runs 0: `lucid generate` runs without them)")
    args = parser.parse_args()
    if not isinstance(args.body_extra, dict):
        parser.error("--body-extra must be a JSON object")

    healthy = True
    server, base = start_server(args, free_port())
    body = {"model": args.model, "messages": [{"role": "user", "content": args.prompt}],
            "max_tokens": args.max_tokens, "temperature": 0, **args.body_extra}
    url = base + "/v1/chat/completions"
    rows = []
    streamed = []
    try:
        # Warm-up (first forward passes allocate).
        post(url, body, args.timeout)
        started = time.perf_counter()
        single = None
        for clients in args.levels:
            if time.perf_counter() - started > args.budget:
                print(f"concurrency {clients}: skipped (past the {args.budget:.0f} s budget)")
                continue
            load_before = load()
            wall, results = level(url, body, clients, args.requests, args.timeout)
            ok = [r for r in results if r[2] is None]
            failed = [r for r in results if r[2] is not None]
            healthy = healthy and not failed
            tokens = sum(r[1]["usage"]["completion_tokens"] for r in ok)
            latencies = [r[0] for r in ok]
            rate = tokens / wall if wall > 0 else 0
            if single is None:
                single = rate
            server_spt = statistics.mean(r[1]["choices"][0]["lucid"]["seconds_per_token"] for r in ok) if ok else float("nan")
            prefill = statistics.mean(r[1]["choices"][0]["lucid"]["prefill_seconds"] for r in ok) if ok else float("nan")
            rows.append((clients, len(results), len(failed), percentile(latencies, 0.5) if ok else float("nan"),
                         percentile(latencies, 0.99) if ok else float("nan"), rate, rate / single if single else float("nan"), server_spt,
                         load_before, load(), prefill))
            for r in failed[:3]:
                print(f"  failure at concurrency {clients}: {r[2]}")
        for _ in range(args.stream_requests):
            chunks, done, error, span, tokens = stream(url, body, args.timeout)
            healthy = healthy and error is None and done
            if error is None and span and tokens and tokens > 1:
                streamed.append(span / (tokens - 1))
        if args.disconnect_check:
            healthy = disconnect_check(base, body, 1000, args.timeout) and healthy
    finally:
        code = stop_server(server)
    print(f"model {args.model}, max_tokens {args.max_tokens}, {args.requests} requests per client, server args {args.server_arg}"
          + (f", request fields {json.dumps(args.body_extra)}" if args.body_extra else ""))
    print("clients  requests  failed  p50_s   p99_s   tokens/s  x_first  server_s/token  prefill_s  load(before,after)")
    for row in rows:
        print(f"{row[0]:7d}  {row[1]:8d}  {row[2]:6d}  {row[3]:6.2f}  {row[4]:6.2f}  {row[5]:8.1f}  {row[6]:7.2f}  {row[7]:.4f}"
              f"          {row[10]:.3f}      {row[8]:.2f}, {row[9]:.2f}")
    print(f"server exit code after SIGTERM: {code}")
    healthy = healthy and code == 0

    if args.sigterm_streams:
        healthy = sigterm_check(args, body) and healthy
    if args.generate_runs > 0:
        # The same decode without HTTP, for the per-token overhead.
        spts = []
        for _ in range(args.generate_runs):
            generate = subprocess.run([args.lucid, "generate", "--model", args.model, "--prompt", args.prompt,
                                       "--max-new-tokens", str(args.max_tokens), "--json"] + generate_args(args.server_arg),
                                      capture_output=True, text=True)
            if generate.returncode != 0:
                print(f"lucid generate failed: {generate.stderr.strip()[:300]}")
                healthy = False
                break
            stats = json.loads(generate.stdout)["stats"]
            spts.append(stats["decode_seconds"] / max(1, stats["decode_tokens"]))
        if spts:
            spt = statistics.median(spts)
            line = f"lucid generate: {spt:.4f} s/token decode (median of {len(spts)}, load {load():.2f})"
            if streamed:
                client = statistics.median(streamed)
                line += f"; streamed over HTTP at concurrency 1: {client:.4f} s/token (median of {len(streamed)}), overhead {100 * (client / spt - 1):+.1f}%"
            print(line)
    sys.exit(0 if healthy else 1)


def generate_args(server_args):
    """The `lucid serve` arguments that `lucid generate` shares (--dtype, --device, --defense)."""
    shared = []
    for arg in server_args:
        if arg.split("=", 1)[0] in ("--dtype", "--device", "--defense"):
            shared.append(arg)
    return shared


if __name__ == "__main__":
    main()
