#!/usr/bin/env python3
"""Times libtorch's bf16/f16 CPU products against f32 and against the widened form the shim uses below
AVX-512 (Sources/CTorch/widened_products.cpp): operands converted to f32, one f32 product, one rounding.

Run with the wheel's Python (the same libtorch Lucid links), e.g. a venv with
`pip install --no-deps $LUCID_CACHE/wheels/torch-*.whl typing_extensions`:

    python scripts/bf16_cpu_products.py [--threads 2]

Prints one line per shape and dtype: forward, input gradient (g · w), weight gradient (gᵀ · x) and the
widened forward, in milliseconds (best of 3 after a warm-up), plus the CPU capability libtorch reports.
Also checks that both forms stay within one rounding of the f64 product.
"""
import argparse
import time

import torch


def best_ms(f, repeats=3, warm_up=True):
    if warm_up:
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, {args.threads} threads")
    shapes = [(600, 576, 1536), (600, 4096, 4096)]
    with torch.no_grad():
        for m, k, n in shapes:
            for dtype in (torch.float32, torch.bfloat16, torch.float16):
                x = torch.randn(m, k).to(dtype)
                w = torch.randn(n, k).to(dtype)
                g = torch.randn(m, n).to(dtype)
                row = {
                    "forward": best_ms(lambda: torch.nn.functional.linear(x, w)),
                    # bf16/f16's input gradient at 4096 takes minutes on AVX2 CPUs: one cold run there.
                    "grad input": best_ms(lambda: g @ w, **({"repeats": 1, "warm_up": False} if dtype != torch.float32 and k > 1024 else {})),
                    "grad weight": best_ms(lambda: g.t() @ x),
                    "widened forward": best_ms(lambda: torch.nn.functional.linear(x.float(), w.float()).to(dtype)),
                }
                exact = x.double() @ w.double().t()
                rounding = 2.0**-8 if dtype == torch.bfloat16 else 2.0**-11 if dtype == torch.float16 else 2.0**-23
                excess = {
                    name: ((y.double() - exact).abs() - exact.abs() * rounding).max().item()
                    for name, y in [("native", torch.nn.functional.linear(x, w)),
                                    ("widened", torch.nn.functional.linear(x.float(), w.float()).to(dtype))]
                }
                timings = ", ".join(f"{name} {ms:.1f} ms" for name, ms in row.items())
                print(f"{m}x{k} · {k}x{n} {str(dtype).removeprefix('torch.')}: {timings}; "
                      f"beyond one rounding: native {excess['native']:.1e}, widened {excess['widened']:.1e}")


if __name__ == "__main__":
    main()
