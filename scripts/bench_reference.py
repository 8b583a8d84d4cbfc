#!/usr/bin/env python3
"""Reference side of `lucid bench ops`: the same measurements through PyTorch from Python.

Protocol (identical to Sources/LucidBench/OpsBenchmark.swift): for each thread setting, square f32
matmul at each size and an add of two 16-element float tensors; warm up 3 calls, then 3 rounds of
at least `seconds / 3` each, keeping the best mean time per call. Prints JSON with --json.
Run with the .venv-bench made by `scripts/setup.sh --bench` (the torch wheel Lucid links).
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import time

import torch


def loaded_blas():
    """The BLAS shared library torch loaded (found in this process's memory map), opened via ctypes."""
    paths = []
    for line in open("/proc/self/maps"):
        parts = line.split()
        # A separate BLAS (Debian's OpenBLAS), else libtorch_cpu itself: the PyPI wheels link MKL into it,
        # which is the library Lucid's side reports too.
        if len(parts) >= 6 and ("blas" in os.path.basename(parts[5]) or os.path.basename(parts[5]).startswith("libtorch_cpu")):
            paths.append(parts[5])
    paths.sort(key=lambda path: "blas" not in os.path.basename(path))
    for path in dict.fromkeys(paths):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "sgemm_"):
            return path, lib
    return "unknown", None


def set_blas_threads(n):
    """Sets OpenBLAS's pool size, as Lucid does; False when the BLAS is not OpenBLAS."""
    _, lib = loaded_blas()
    if lib is None or not hasattr(lib, "openblas_set_num_threads"):
        return False
    lib.openblas_set_num_threads(ctypes.c_int(n))
    return True


def blas_threads():
    _, lib = loaded_blas()
    if lib is None or not hasattr(lib, "openblas_get_num_threads"):
        return -1
    return lib.openblas_get_num_threads()


def smollm2_reference(gguf_path, threads):
    """SmolLM2 in transformers as the benchmarks' reference sides load it: INTRA:BLAS `threads` set, the GGUF
    dequantised as scripts/make_smollm2_fixtures.py does, SDPA attention (transformers' default for a user; the
    fixtures pin eager for exactness). Returns (GGUF reader, tokenizer, model)."""
    import gguf
    import make_smollm2_fixtures as smol
    intra, blas = (int(x) for x in threads.split(":"))
    torch.set_num_threads(intra)
    set_blas_threads(blas)
    reader = gguf.GGUFReader(gguf_path)
    model = smol.model_from_gguf(reader)
    model.set_attn_implementation("sdpa")
    return reader, smol.tokenizer_from_gguf(reader), model


def best_seconds_per_call(fn, minimum_seconds):
    warm_start = time.perf_counter()
    while time.perf_counter() - warm_start < 0.2:
        fn()
    best = float("inf")
    for _ in range(3):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= minimum_seconds / 3:
                break
        best = min(best, elapsed / calls)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--threads", nargs="+", default=["1:1", "2:2", "1:2", "2:1"],
                        help="settings INTRA:BLAS (torch intra-op threads : OpenBLAS threads)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    configs = []
    for setting in args.threads:
        threads, blas = (int(x) for x in setting.split(":"))
        torch.set_num_threads(threads)
        if not set_blas_threads(blas):
            blas = -1
        gen_a = torch.Generator().manual_seed(1)
        gen_b = torch.Generator().manual_seed(2)
        matmul = {}
        with torch.no_grad():
            for n in args.sizes:
                a = torch.randn(n, n, generator=gen_a)
                b = torch.randn(n, n, generator=gen_b)
                seconds = best_seconds_per_call(lambda: torch.matmul(a, b), args.seconds)
                matmul[str(n)] = 2.0 * n ** 3 / seconds / 1e9
        x = torch.ones(16)
        y = torch.ones(16)
        # Lucid records autograd only when an input requires grad, as PyTorch does; grad mode stays on here too.
        add = best_seconds_per_call(lambda: x + y, args.seconds)
        configs.append({"threads": threads, "blas_threads": blas, "matmul_gflops": matmul, "small_add_us": add * 1e6})

    result = {"implementation": "pytorch-python", "torch": torch.__version__,
              "blas": (lambda path: path if path == "unknown" else os.path.realpath(path))(loaded_blas()[0]), "configs": configs}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for c in configs:
            print(c)


if __name__ == "__main__":
    main()
