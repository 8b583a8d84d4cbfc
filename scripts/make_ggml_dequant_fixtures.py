#!/usr/bin/env python3
"""Golden dequantisations for Lucid's ggml block decoders (Tests/LucidTensorTests/Fixtures/ggml_dequant_golden.json).

For each block type Lucid decodes (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, IQ2_XXS,
IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M, TQ1_0, TQ2_0, MXFP4): three blocks of seeded random bytes whose f16 scale fields are replaced
by finite random halves (random bytes would make some NaN or infinite; IQ1_M's is spread over four nibbles;
MXFP4's power-of-two exponent byte is always finite, so its random bytes stay), dequantised by the `gguf` package's numpy port of ggml's `dequantize_row_*` (gguf 0.19.0,
pinned in scripts/requirements-bench.txt). Values are written as the hex of their float32 bits, so the test
compares bit for bit.

Run from the repository root:  .venv-bench/bin/python scripts/make_ggml_dequant_fixtures.py
(`scripts/setup.sh --bench` creates the venv). Deterministic (numpy's PCG64, seed 34).
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType, quants

OUT = os.path.join("Tests", "LucidTensorTests", "Fixtures", "ggml_dequant_golden.json")
# Byte offsets of each type's f16 scale fields within a block (ggml's block structs).
SCALES = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0], "Q2_K": [80, 82], "Q3_K": [108],
          "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208], "IQ4_NL": [0], "IQ4_XS": [0], "IQ2_XXS": [0], "IQ2_XS": [0],
          "IQ2_S": [0], "IQ3_XXS": [0], "IQ3_S": [0], "IQ1_S": [0], "IQ1_M": [],
          "TQ1_0": [52], "TQ2_0": [64], "MXFP4": []}
# IQ1_M keeps its f16 scale in the top nibbles of the four 16-bit words at bytes 48..55 (first word: lowest nibble).
IQ1_M_SCALE_WORDS = 48
BLOCKS = 3


def main():
    rng = np.random.default_rng(34)
    cases = []
    for name, offsets in SCALES.items():
        qtype = GGMLQuantizationType[name]
        block_size, type_size = gguf_sizes(qtype)
        raw = rng.integers(0, 256, size=(BLOCKS, type_size), dtype=np.uint8)
        for offset in offsets:
            halves = rng.normal(0, 0.05, size=BLOCKS).astype(np.float16)
            raw[:, offset:offset + 2] = halves.view(np.uint8).reshape(BLOCKS, 2)
        if name == "MXFP4":  # the subnormal scales of exponents 0 and 1, beside a random one
            raw[0, 0], raw[1, 0] = 0, 1
        if name == "IQ1_M":
            halves = rng.normal(0, 0.05, size=BLOCKS).astype(np.float16).view(np.uint16)
            words = raw[:, IQ1_M_SCALE_WORDS:IQ1_M_SCALE_WORDS + 8].copy().view(np.uint16)
            for k in range(4):
                words[:, k] = (words[:, k] & 0x0FFF) | (((halves >> (4 * k)) & 0xF) << 12)
            raw[:, IQ1_M_SCALE_WORDS:IQ1_M_SCALE_WORDS + 8] = words.view(np.uint8)
        values = quants.dequantize(raw.reshape(-1), qtype).astype(np.float32).reshape(-1)
        assert values.size == BLOCKS * block_size and np.isfinite(values).all()
        cases.append({"type": name, "count": int(values.size), "bytes": raw.tobytes().hex(),
                      "values": [format(int(v), "08x") for v in values.view(np.uint32)]})
    with open(OUT, "w") as f:
        json.dump({"gguf": "0.19.0", "cases": cases}, f, indent=1)
        f.write("\n")
    print(len(cases), "types")


def gguf_sizes(qtype):
    from gguf.constants import GGML_QUANT_SIZES
    return GGML_QUANT_SIZES[qtype]


if __name__ == "__main__":
    main()
