"""Hostile `--pixel-values` files for scripts/hostile.py: a transformers processor's outputs with their
integer tensors (image sizes, grids, image counts, Q-Former ids) and `pixel_values` bent out of shape.

Each case starts from a fixture's real processor outputs (LLaVA-OneVision's and Qwen2-VL's two-image
samples, LLaVA-NeXT's and InstructBLIP's one-image ones) and changes one thing: an integer tensor's
values (hostile numbers) or length, a missing tensor, `pixel_values`' dtype, shape claim or values
(NaN, infinity). `lucid generate --pixel-values F --input-ids IDS` must answer or refuse naming F, never
crash or hang. Standard library only, like hostile.py.
"""
import json
import math
import os
import struct

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "LucidModelsTests", "Fixtures")
HOSTILE_INTEGERS = [-2 ** 63, -1, 0, 1, 2, 3, 7, 4096, 65535, 65536, 2 ** 31 - 1, 2 ** 32, 2 ** 62, 2 ** 63 - 1]
SIZES = {"F32": 4, "I64": 8}


def read(path):
    """The tensors of a safetensors file: name -> (dtype, shape, bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    return {name: (entry["dtype"], entry["shape"], body[entry["data_offsets"][0]:entry["data_offsets"][1]])
            for name, entry in header.items() if name != "__metadata__"}


def write(path, tensors):
    header, body = {}, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)
    return path


def integers(values):
    return struct.pack(f"<{len(values)}q", *values)


def samples():
    """(name, model directory, tensors under HF names, prompt ids) of each starting sample."""
    found = []
    for folder in ("llava-onevision", "qwen2-vl"):
        tensors = read(os.path.join(FIXTURES, folder, "multi_image.safetensors"))
        ids = list(struct.unpack(f"<{len(tensors['input_ids'][2]) // 8}q", tensors["input_ids"][2]))
        keep = {k: v for k, v in tensors.items() if k in ("pixel_values", "image_sizes", "batch_num_images", "image_grid_thw")}
        found.append((folder, os.path.join(FIXTURES, folder, "model"), keep, ids))
    golden = read(os.path.join(FIXTURES, "llava-next", "golden.safetensors"))
    ids = list(struct.unpack(f"<{len(golden['wide.input_ids'][2]) // 8}q", golden["wide.input_ids"][2]))
    dtype, shape, data = golden["processor.wide.pixel_values"]
    found.append(("llava-next", os.path.join(FIXTURES, "llava-next", "model"),
                  {"pixel_values": (dtype, [1] + shape, data), "image_sizes": golden["processor.wide.image_sizes"]}, ids))
    golden = read(os.path.join(FIXTURES, "instructblip", "golden.safetensors"))
    ids = list(struct.unpack(f"<{len(golden['input_ids'][2]) // 8}q", golden["input_ids"][2]))
    found.append(("instructblip", os.path.join(FIXTURES, "instructblip", "model"),
                  {"pixel_values": golden["pixel_values"], "qformer_input_ids": golden["qformer_input_ids"]}, ids))
    return found


def mutations(tensors, rng):
    """(label, tensors) variants of one sample, each changing one thing."""
    out = []
    counts = [name for name, (dtype, _, _) in tensors.items() if dtype == "I64"]
    for name in counts:
        dtype, shape, data = tensors[name]
        values = list(struct.unpack(f"<{len(data) // 8}q", data))
        for _ in range(5):
            changed = list(values)
            if rng.random() < 0.5:
                changed[rng.randrange(len(changed))] = rng.choice(HOSTILE_INTEGERS)
            else:
                changed = [rng.choice(HOSTILE_INTEGERS) for _ in changed]
            out.append((f"{name}={changed}", dict(tensors, **{name: (dtype, shape, integers(changed))})))
        shorter = values[:-1]
        out.append((f"{name} shorter", dict(tensors, **{name: (dtype, [len(shorter)], integers(shorter))})))
        longer = values + values[:3]
        out.append((f"{name} longer", dict(tensors, **{name: (dtype, [len(longer)], integers(longer))})))
        out.append((f"no {name}", {k: v for k, v in tensors.items() if k != name}))
    dtype, shape, data = tensors["pixel_values"]
    out.append(("no pixel_values", {k: v for k, v in tensors.items() if k != "pixel_values"}))
    out.append(("pixel_values as I32", dict(tensors, pixel_values=("I32", shape, data))))
    flat = math.prod(shape)
    doubled = [shape[0] * 2, flat // (shape[0] * 2)] if flat % (shape[0] * 2) == 0 else [flat, 1]
    for claim in ([flat], doubled, [1] + shape, shape[:-1] + [shape[-1] // 2, 2]):
        if math.prod(claim) == flat and claim != shape:
            out.append((f"pixel_values claimed {claim}", dict(tensors, pixel_values=(dtype, claim, data))))
    for value in (float("nan"), float("inf"), -1e30):
        count = len(data) // 4
        poisoned = bytearray(data)
        for index in rng.sample(range(count), min(count, 16)):
            poisoned[index * 4:index * 4 + 4] = struct.pack("<f", value)
        out.append((f"pixel_values with {value}", dict(tensors, pixel_values=(dtype, shape, bytes(poisoned)))))
    return out


def processor_output_cases(work, rng, case):
    """`case(kind, args, expect, names, inputs)` for every mutation of every sample."""
    cases = []
    for name, model, tensors, ids in samples():
        for index, (label, changed) in enumerate(mutations(tensors, rng)):
            path = write(os.path.join(work, f"{name}-{index}.safetensors"), changed)
            cases.append(case("processor", ["generate", "--model", model, "--pixel-values", path, "--input-ids", ",".join(map(str, ids)),
                                            "--greedy", "--max-new-tokens", "1"], "any", [path], [path], note=f"{name}: {label}"))
    return cases
