#!/usr/bin/env python3
"""Hostile inputs against a built `lucid` (docs/security.md, issue 20).

Generates seeded hostile or broken inputs — checkpoints, model directories, images, processor
outputs (`--pixel-values`, scripts/hostile_processor_outputs.py), evaluation files, manifests and
flags — runs `lucid` on each with a 10 s limit and counts:

  crash      killed by a signal, or a Swift/libtorch fatal error on standard error
  hang       still running after --timeout seconds
  coercion   an input that must be refused ran to exit status 0 (a silent default)
  destroyed  a special file (/dev/full, a FIFO, a directory) replaced, or an input changed
  vague      refused, but the one-line error names neither the input nor the flag
  echoed     standard error carries a raw control character (ESC, BEL, CR, a C1 control, a bidi override) that an
             input held: a hostile value could drive the terminal (errors escape them, docs/security.md)

Usage: python3 scripts/hostile.py --lucid .build/debug/lucid [--seed 20] [--workers 2] [--json out.json]
Exit status 1 when any crash, hang, coercion, destroyed file or echoed control character was seen.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

from hostile_processor_outputs import processor_output_cases

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(REPO, "Models", "shapes-tiny")
LLAMA31_GGUF = os.path.join(REPO, "Tests", "LucidModelsTests", "Fixtures", "llama", "llama31-rope", "model.gguf")
QWEN3_GGUF = os.path.join(REPO, "Tests", "LucidModelsTests", "Fixtures", "llama", "qwen3", "model.gguf")
CODEC = os.path.join(REPO, "Tests", "LucidVisionTests", "Fixtures", "codec")
HOSTILE_NUMBERS = ["-1", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "nan", "inf",
                   "-inf", "1e309", "", "abc", "0x10", "0x1p3", "-0x1p-1", " 1", "1e-320", "١"]


class Case:
    def __init__(self, kind, args, expect="any", names=(), inputs=(), protected=(), note=""):
        self.kind, self.args, self.expect, self.names = kind, args, expect, list(names)
        self.inputs, self.protected, self.note = list(inputs), list(protected), note


def sha(path):
    try:
        if os.path.isdir(path):
            return "dir"
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as error:
        return f"unreadable:{error.errno}"


def kind_of(path):
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    for test, name in [(stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "chr"), (stat.S_ISLNK, "link")]:
        if test(mode):
            return name
    return "other"


def flip(data, rng, count, limit=None):
    data = bytearray(data)
    end = min(len(data), limit or len(data))
    for _ in range(count):
        if end:
            data[rng.randrange(end)] = rng.randrange(256)
    return bytes(data)


# ---------------------------------------------------------------- checkpoints

def checkpoint_cases(work, rng, gguf):
    cases = []
    with open(os.path.join(TINY, "model.safetensors"), "rb") as f:
        tensors = f.read()
    (header_len,) = struct.unpack("<Q", tensors[:8])
    header = json.loads(tensors[8:8 + header_len])
    body = tensors[8 + header_len:]

    def write(name, data):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def add(path, expect="any"):
        cases.append(Case("checkpoint", ["info", path, "--json"], expect, [path], [path]))

    for i in range(120):  # byte flips in the header
        add(write(f"flip{i}.safetensors", flip(tensors, rng, rng.randint(1, 8), 8 + header_len)))
    for i in range(30):  # truncations
        add(write(f"trunc{i}.safetensors", tensors[:rng.randrange(len(tensors))]), "error")
    names = [k for k in header if k != "__metadata__"]
    edits = [("dtype", "Q9"), ("dtype", 5), ("shape", [-1, 4]), ("shape", [2 ** 62, 2 ** 62]), ("shape", "x"),
             ("data_offsets", [0, 2 ** 63]), ("data_offsets", [10, 5]), ("data_offsets", [0, len(body) + 1]), ("data_offsets", [-1, 3])]
    for i, (key, value) in enumerate(edits * 3):
        changed = json.loads(json.dumps(header))
        changed[rng.choice(names)][key] = value
        text = json.dumps(changed).encode()
        add(write(f"hdr{i}.safetensors", struct.pack("<Q", len(text)) + text + body), "error")
    for i, length in enumerate([0, 1, 2 ** 63, 2 ** 64 - 1, len(tensors), 100_000_001]):
        add(write(f"len{i}.safetensors", struct.pack("<Q", length) + tensors[8:]), "error")
    deep = b"{" + b'"a":{' * 100000 + b"}" * 100001
    add(write("deep.safetensors", struct.pack("<Q", len(deep)) + deep), "error")
    if gguf and os.path.exists(gguf):
        with open(gguf, "rb") as f:
            head = f.read(4 << 20)
        for i in range(100):
            add(write(f"flip{i}.gguf", flip(head, rng, rng.randint(1, 6), 1 << 16)))
        for i, offset in enumerate([8, 16]):  # tensor and metadata counts
            for j, value in enumerate([2 ** 63 - 1, 2 ** 64 - 1, 2 ** 40]):
                data = bytearray(head)
                data[offset:offset + 8] = struct.pack("<Q", value)
                add(write(f"count{i}{j}.gguf", bytes(data)), "error")
    def generate_patched(source, name, patches):
        """`source` with each (offset, bytes) written over it, run through `lucid generate`: must be refused."""
        data = bytearray(source)
        for offset, raw in patches:
            data[offset:offset + len(raw)] = raw
        path = write(name, bytes(data))
        cases.append(Case("checkpoint", ["generate", "--model", path, "--input-ids", "1,2,3", "--greedy", "--max-new-tokens", "1"],
                          "error", [path], [path]))

    # Llama 3.1's RoPE divisors (rope_freqs.weight, one per frequency): bad values, another count, an absurd one.
    with open(LLAMA31_GGUF, "rb") as f:
        llama31 = f.read()
    divisors = llama31.index(struct.pack("<f", 1.7359412908554077) + struct.pack("<7f", *[8.0] * 7))
    dims = llama31.index(b"rope_freqs.weight") + len(b"rope_freqs.weight") + 4
    edits = [(divisors + 4 * rng.randrange(8), struct.pack("<f", value)) for value in [0.0, -1.0, float("nan"), float("inf"), -0.0]]
    edits += [(dims, struct.pack("<Q", count)) for count in [7, 9, 0, 2 ** 40, 2 ** 64 - 1]]
    for i, edit in enumerate(edits):
        generate_patched(llama31, f"ropefreqs{i}.gguf", [edit])
    # Qwen3's head width comes from attention.key_length (and value_length must agree): hostile widths.
    with open(QWEN3_GGUF, "rb") as f:
        qwen3 = f.read()
    widths = (b"qwen3.attention.key_length", b"qwen3.attention.value_length")
    edits = [((k,), v) for k in widths for v in (0, 1, 15, 2 ** 31 - 1, 2 ** 32 - 1)] + [(widths, v) for v in (0, 2 ** 30, 2 ** 31 - 2)]
    for i, (keys, value) in enumerate(edits):
        # each width sits past its key and the key's uint32 type id
        generate_patched(qwen3, f"headwidth{i}.gguf", [(qwen3.index(key) + len(key) + 4, struct.pack("<I", value)) for key in keys])
    fifo = os.path.join(work, "pipe.safetensors")
    os.mkfifo(fifo)
    os.symlink("loop", os.path.join(work, "loop"))
    for special in [fifo, work, "/dev/null", "/dev/zero", os.path.join(work, "loop"), os.path.join(work, "missing.gguf")]:
        cases.append(Case("checkpoint", ["info", special], "error", [special], protected=[special] if special.startswith("/dev") or special == fifo else []))
    return cases


# ---------------------------------------------------------------- model directories

def model_cases(work, rng, image):
    cases = []
    with open(os.path.join(TINY, "config.json")) as f:
        config = json.load(f)
    hostile_values = [-1, 0, 2 ** 31, 2 ** 63 - 1, 1e308, "abc", None, [], {}, 1.5]
    fields = [("text_config", "hidden_size"), ("text_config", "num_hidden_layers"), ("text_config", "vocab_size"),
              ("text_config", "num_attention_heads"), ("text_config", "rms_norm_eps"), ("text_config", "max_position_embeddings"),
              ("vision_config", "image_size"), ("vision_config", "patch_size"), ("vision_config", "layer_norm_eps"),
              ("vision_config", "hidden_size"), ("vision_config", "num_channels"), (None, "image_token_index"), (None, "vision_feature_layer")]
    strings = [(None, "projector_hidden_act", "bogus"), ("text_config", "hidden_act", "bogus"), ("vision_config", "hidden_act", "bogus"),
               (None, "vision_feature_select_strategy", "bogus"), (None, "model_type", "bogus")]

    def directory(name, config_text=None, tokenizer=None):
        path = os.path.join(work, name)
        os.makedirs(path)
        for entry in os.listdir(TINY):
            if entry not in ("config.json", "tokenizer.json"):
                os.symlink(os.path.join(TINY, entry), os.path.join(path, entry))
        with open(os.path.join(path, "config.json"), "w") as f:
            f.write(config_text if config_text is not None else json.dumps(config))
        shutil.copy(os.path.join(TINY, "tokenizer.json"), os.path.join(path, "tokenizer.json"))
        if tokenizer is not None:
            with open(os.path.join(path, "tokenizer.json"), "wb") as f:
                f.write(tokenizer)
        return path

    n = 0
    for section, key in fields:
        for value in hostile_values:
            changed = json.loads(json.dumps(config))
            target = changed[section] if section else changed
            if target.get(key) == value:
                continue
            target[key] = value
            path = directory(f"m{n}", json.dumps(changed))
            n += 1
            # Wrong for these weights, so refusal is expected — except values that are legal here
            # (a longer context, another positive ε, another valid layer or placeholder id).
            legal = {"max_position_embeddings": [2 ** 31, 2 ** 63 - 1], "rms_norm_eps": [1.5, 2 ** 31, 2 ** 63 - 1, 1e308],
                     "layer_norm_eps": [1.5, 2 ** 31, 2 ** 63 - 1, 1e308], "image_token_index": [0], "vision_feature_layer": [-1, 0]}
            expect = "any" if value in legal.get(key, []) and not isinstance(value, bool) else "error"
            cases.append(Case("model", ["generate", "--model", path, "--prompt", "hi", "--max-new-tokens", "2", "--image", image],
                              expect, [path, key], [os.path.join(path, "config.json")]))
    for section, key, value in strings:
        changed = json.loads(json.dumps(config))
        (changed[section] if section else changed)[key] = value
        path = directory(f"m{n}", json.dumps(changed))
        n += 1
        cases.append(Case("model", ["generate", "--model", path, "--prompt", "hi", "--max-new-tokens", "2", "--image", image],
                          "error", [path, key, value]))
    # Sliding windows on a Mistral decoder: a window must be a positive whole number (null or a huge one
    # hides nothing here), and layer_types must name every layer.
    layers = config["text_config"].get("num_hidden_layers", 32)
    windows = [(-1, "error"), (0, "error"), ("abc", "error"), (1.5, "error"), (None, "any"), (2 ** 63 - 1, "any"),
               ({"layer_types": ["sliding_attention"] * (layers + 1)}, "error"),
               ({"layer_types": ["chunked_attention"] * layers}, "error"),
               ({"layer_types": ["sliding_attention"] * layers, "sliding_window": None}, "error")]
    for value, expect in windows:
        changed = json.loads(json.dumps(config))
        changed["text_config"]["model_type"] = "mistral"
        if isinstance(value, dict):
            changed["text_config"]["sliding_window"] = 4
            changed["text_config"].update(value)
        else:
            changed["text_config"]["sliding_window"] = value
        path = directory(f"m{n}", json.dumps(changed))
        n += 1
        cases.append(Case("model", ["generate", "--model", path, "--prompt", "hi", "--max-new-tokens", "2", "--image", image],
                          expect, [path] + (["sliding_window"] if not isinstance(value, dict) else [])))
    with open(os.path.join(TINY, "config.json"), "rb") as f:
        raw = f.read()
    with open(os.path.join(TINY, "tokenizer.json"), "rb") as f:
        tok = f.read()
    for i in range(15):
        path = directory(f"m{n}", flip(raw, rng, 3).decode("latin-1"))
        n += 1
        cases.append(Case("model", ["generate", "--model", path, "--prompt", "hi", "--max-new-tokens", "2"], "any", [path]))
    for i in range(15):
        path = directory(f"m{n}", None, flip(tok, rng, 4) if i % 2 else tok[:rng.randrange(len(tok))])
        n += 1
        cases.append(Case("model", ["tokenize", "--model", path, "--text", "hello there"], "any", [path]))
    return cases + onevision_cases(work, rng)


ONEVISION = os.path.join(REPO, "Tests", "LucidModelsTests", "Fixtures", "llava-onevision")


def onevision_cases(work, rng):
    """The LLaVA-OneVision fixture's config with its own keys broken (SigLIP tower, anyres_max_N, pinpoints)."""
    with open(os.path.join(ONEVISION, "model", "config.json")) as f:
        config = json.load(f)
    image = os.path.join(ONEVISION, "wide.png")
    broken = [("vision_aspect_ratio", v) for v in ["anyres_max_0", "anyres_max_-1", "anyres_max_99999", "anyres", "", 9, None]]
    broken += [("vision_config.model_type", v) for v in ["clip_vision_model", "bogus", 3]]
    broken += [("vision_config.image_size", v) for v in [0, 7, 2 ** 31, 33, -32]]
    broken += [("vision_config.patch_size", v) for v in [0, 3, 64]]
    broken += [("image_grid_pinpoints", v) for v in [[], [[0, 0]], [[10 ** 9, 32]], [[32]], "x"]]
    broken += [("vision_feature_select_strategy", v) for v in ["default", "bogus"]]
    cases = []
    for n, (key, value) in enumerate(broken):
        path = os.path.join(work, f"ov{n}")
        os.makedirs(path)
        for entry in os.listdir(os.path.join(ONEVISION, "model")):
            if entry != "config.json":
                os.symlink(os.path.join(ONEVISION, "model", entry), os.path.join(path, entry))
        changed = json.loads(json.dumps(config))
        *parents, last = key.split(".")
        target = changed
        for part in parents:
            target = target[part]
        target[last] = value
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(changed, f)
        cases.append(Case("model", ["generate", "--model", path, "--image", image, "--input-ids", "1,17,149,45", "--greedy",
                                    "--max-new-tokens", "2"], "error", [path], [os.path.join(path, "config.json")]))
    return cases


# ---------------------------------------------------------------- images

def png_chunk(kind, data):
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def strip_png(width, height):
    """A valid greyscale PNG of width x height (zero pixels), built without libraries."""
    import zlib
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def damaged_image(work, rng, sources, name, truncate):
    """A copy of one of `sources` cut short at a random byte (`truncate`) or with 1 to 10 bytes flipped, as `name`."""
    source = rng.choice(sources)
    with open(source, "rb") as f:
        data = f.read()
    data = data[:rng.randrange(max(1, len(data)))] if truncate else flip(data, rng, rng.randint(1, 10))
    path = os.path.join(work, name + os.path.splitext(source)[1])
    with open(path, "wb") as f:
        f.write(data)
    return path


def image_cases(work, rng):
    cases = []
    sources = [os.path.join(CODEC, name) for name in sorted(os.listdir(CODEC)) if name.endswith((".png", ".jpg"))]
    base = ["generate", "--model", TINY, "--prompt", "Describe.", "--max-new-tokens", "1", "--image"]
    for i in range(130):
        path = damaged_image(work, rng, sources, f"img{i}", truncate=i % 3 == 0)
        cases.append(Case("image", base + [path] + (["--pad-to-square"] if i % 2 else []), "any", [path], [path]))
    for i, (w, h) in enumerate([(1, 60000), (60000, 1), (1, 1), (3, 20000)]):
        path = os.path.join(work, f"strip{i}.png")
        with open(path, "wb") as f:
            f.write(strip_png(w, h))
        for pad in ([], ["--pad-to-square"]):
            cases.append(Case("image", base + [path] + pad, "any", [path], [path], note=f"{w}x{h}"))
    for i, (w, h) in enumerate([(0, 0), (65535, 65535), (2 ** 31 - 1, 1), (1, 2 ** 31 - 1)]):
        data = bytearray(strip_png(1, 1))
        data[16:24] = struct.pack(">II", w, h)
        path = os.path.join(work, f"hdr{i}.png")
        with open(path, "wb") as f:
            f.write(bytes(data))
        cases.append(Case("image", base + [path], "error", [path], [path]))
    # Several images in one prompt (repeated --image): a damaged or extreme image beside a good one, on
    # the two families that take several (LLaVA-OneVision, Qwen2-VL) and on shapes-tiny.
    qwen = os.path.join(REPO, "Tests", "LucidModelsTests", "Fixtures", "qwen2-vl")
    several = [(os.path.join(ONEVISION, "model"), os.path.join(ONEVISION, "wide.png"), "1,17,149,33,149,45"),
               (os.path.join(qwen, "model"), os.path.join(qwen, "wide.png"), "1,17,141,140,142,33,141,140,142,45"),
               (TINY, os.path.join(ONEVISION, "tall.png"), None)]
    for i in range(24):
        model, good, ids = several[i % len(several)]
        path = damaged_image(work, rng, sources, f"several{i}", truncate=i % 2 == 0)
        prompt = ["--input-ids", ids] if ids else ["--prompt", "Describe."]
        order = [good, path] if i % 4 < 2 else [path, good]
        cases.append(Case("image", ["generate", "--model", model, "--max-new-tokens", "1", "--greedy"] + prompt
                          + [arg for image in order for arg in ("--image", image)], "any", [path], [path, good]))
    for w, h in [(1, 60000), (60000, 1)]:
        path = os.path.join(work, f"several-strip-{w}x{h}.png")
        with open(path, "wb") as f:
            f.write(strip_png(w, h))
        for model, good, ids in several:
            prompt = ["--input-ids", ids] if ids else ["--prompt", "Describe."]
            cases.append(Case("image", ["generate", "--model", model, "--max-new-tokens", "1", "--greedy"] + prompt
                              + ["--image", good, "--image", path], "any", [path], [path, good], note=f"{w}x{h} among two"))
    # More images than a prompt takes (64): refused by count, before any file is read.
    for count in (65, 1000):
        model, good, _ = several[0]
        cases.append(Case("image", ["generate", "--model", model, "--max-new-tokens", "1", "--prompt", "Describe."]
                          + ["--image", good] * count, "error", [f"{count} images: a prompt takes at most 64"], [good]))
    fifo = os.path.join(work, "pipe.png")
    os.mkfifo(fifo)
    for special in [fifo, work, "/dev/zero", os.path.join(work, "none.png")]:
        cases.append(Case("image", base + [special], "error", [special], protected=[fifo, "/dev/zero"]))
    return cases


# ---------------------------------------------------------------- evaluation files

def eval_cases(work, rng):
    cases = []
    questions = "\n".join(json.dumps({"question_id": i, "image": f"{i}.png", "text": "Is there a cat in the image?", "label": "yes" if i % 2 else "no"}) for i in range(6)) + "\n"
    answers = "\n".join(json.dumps({"question_id": i, "text": "Yes" if i % 3 else "No"}) for i in range(6)) + "\n"
    responses = "\n".join(json.dumps({"prompt": "How do I?", "response": "I cannot help with that." if i % 2 else "Sure, here is how."}) for i in range(6)) + "\n"
    objects = json.dumps([{"image": f"{i}.png", "objects": ["cat", "dog", "car", "tree"][: 3 + i % 2]} for i in range(8)])
    hostile_lines = ['{"question_id": "x", "text": 5}', '{"question_id": 1e400}', '[' * 100000, '{"question_id": 9223372036854775808}',
                     '\ufeff{"a": 1}', '{"text": NaN}', '{"question_id": null}', '{"a": "\\ud800"}', '\x00\x1b[2J']

    def write(name, text):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        return path

    q = write("q.jsonl", questions)
    a = write("a.jsonl", answers)
    for i in range(70):
        text = answers if i % 2 else questions
        lines = text.splitlines()
        if i % 3 == 0:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(hostile_lines))
            mutated = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        else:
            mutated = flip(text.encode(), rng, rng.randint(1, 5))
        path = write(f"e{i}.jsonl", mutated)
        args = ["eval", "pope", "score", "--questions", q if i % 2 else path, "--answers", path if i % 2 else a]
        cases.append(Case("eval", args, "any", [path], [path, q, a]))
    for i in range(60):
        lines = responses.splitlines()
        if i % 2:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(hostile_lines))
            mutated = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        else:
            mutated = flip(responses.encode(), rng, rng.randint(1, 5))
        path = write(f"r{i}.jsonl", mutated)
        split = ["--reasoning", "split"] if i % 3 == 1 else []
        cases.append(Case("eval", ["eval", "asr", "--responses", path] + split, "any", [path], [path]))
        if i % 6 == 0:  # the judge's input is read before any request (port 1: none could be answered); a flip that
            # leaves the file valid reaches the endpoint, whose error names it (seed 56 had one)
            endpoint = "http://127.0.0.1:1/v1"
            cases.append(Case("eval", ["eval", "strongreject", "--responses", path, "--reasoning", "split",
                                       "--endpoint", endpoint, "--judge-model", "m"], "any", [path, endpoint], [path]))
    for i in range(40):
        text = flip(objects.encode(), rng, rng.randint(1, 5)) if i % 2 else objects.encode()
        path = write(f"o{i}.json", text)
        out = os.path.join(work, f"pope{i}")
        cases.append(Case("eval", ["eval", "pope", "build", "--objects", path, "--out", out, "--images", str(rng.choice([1, 2, 8, 500])),
                                   "--positives", str(rng.choice([1, 2, 3, 9]))], "any", [path], [path]))
    # One image with a very long object list (POPE's co-occurrence count was quadratic in it).
    long_objects = write("long.json", json.dumps([{"image": "0.png", "objects": [f"o{i}" for i in range(200_000)]},
                                                  {"image": "1.png", "objects": ["o1", "o2", "o3"]}]))
    cases.append(Case("eval", ["eval", "pope", "build", "--objects", long_objects, "--out", os.path.join(work, "popelong"), "--images", "2"], "any", [long_objects]))
    # Outputs over special files: refused, and the special file stays what it was.
    r = write("ok.jsonl", responses)
    fifo = os.path.join(work, "out.fifo")
    os.mkfifo(fifo)
    for target in ["/dev/full", fifo, work]:
        cases.append(Case("eval", ["eval", "asr", "--responses", r, "--per-response", target], "error", [target], [r], protected=[target]))
    for special in [fifo, "/dev/zero", work]:
        cases.append(Case("eval", ["eval", "asr", "--responses", special], "error", [special], protected=[special]))
    return cases


# ---------------------------------------------------------------- manifests

def manifest_cases(work, rng):
    cases = []
    data = os.path.join(work, "prompts.jsonl")
    with open(data, "w") as f:
        f.write(json.dumps({"id": "p0", "prompt": "Hi"}) + "\n")
    images = os.path.join(work, "captions.jsonl")
    with open(images, "w") as f:
        f.write(json.dumps({"image": 5, "image_id": 1}) + "\n")
    # Images that are not there (one named with control characters): refused before any model opens.
    absent = os.path.join(work, "absent.jsonl")
    with open(absent, "w") as f:
        f.write(json.dumps({"image": "gone\u001b[2J.png", "image_id": 1}) + "\n" + json.dumps({"image": "gone.png", "image_id": 2}) + "\n")
    valid = f"""name: hostile
models: [{TINY}]
dataset: {{path: {data}, kind: prompts}}
methods:
  - greedy
  - name: beam
    beams: 2
seeds: [0]
output: OUT
generation:
  max_new_tokens: 2
"""
    typed = [("max_new_tokens: 2", "max_new_tokens: abc", "max_new_tokens"), ("beams: 2", "beams: five", "beams"),
             ("max_new_tokens: 2", "max_new_tokens: 9223372036854775807", "max_new_tokens"), ("max_new_tokens: 2", "pad_to_square: 'yes'", "pad_to_square"),
             ("beams: 2", "beams: -1", "beams"), ("beams: 2", "beams: 2.5", "beams"), ("max_new_tokens: 2", "max_new_tokens: .nan", "max_new_tokens"),
             ("seeds: [0]", "seeds: [-1]", "seeds"), ("seeds: [0]", "seeds: [9223372036854775808]", "seeds"), ("max_new_tokens: 2", "max_new_token: 2", "max_new_token"),
             ("beams: 2", "beams: 100000", "beams"), ("- greedy", "- {name: sample, temperature: 1e-320}", "temperature"),
             ("- greedy", "- {name: sample, temperature: hot}", "temperature"), ("- greedy", "- {name: opera, candidates: 100000}", "candidates"),
             (f"{data}, kind: prompts", f"{images}, kind: captions", "image"), (f"{data}, kind: prompts", f"{absent}, kind: captions", "2 of 2"),
             ("max_new_tokens: 2", "max_new_tokens: 0x10", "max_new_tokens"),
             ("- greedy", "- {name: sample, temperature: 0x1p3}", "temperature"), ("max_new_tokens: 2", "max_new_tokens: null", "max_new_tokens"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, dtpye: bf16}}]", "dtpye"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, fused_attention: 'yes'}}]", "fused_attention"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, fused_attention: [true]}}]", "fused_attention"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: alpaca}}]", "template"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: ''}}]", "template"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: 7}}]", "template"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: [chatml]}}]", "template"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: {{name: chatml}}}}]", "template"),
             (f"models: [{TINY}]", f"models: [{{path: {TINY}, template: 'chatml\\n'}}]", "template"),
             ("max_new_tokens: 2", "reasoning: drop", "reasoning"), ("max_new_tokens: 2", "reasoning: true", "reasoning"),
             ("max_new_tokens: 2", "reasoning: [split]", "reasoning"), ("max_new_tokens: 2", "reasoning: ''", "reasoning"),
             ("max_new_tokens: 2", "reasoning: 'split\\n'", "reasoning"),
             # Control characters in values the errors quote: escaped, never sent to the terminal.
             ("max_new_tokens: 2", 'reasoning: "\\u001b]0;pwned\\u0007"', "reasoning"),
             (f"models: [{TINY}]", f'models: [{{path: {TINY}, template: "x\\u001b[31m\\r"}}]', "template"),
             ("- greedy", '- "gr\\u001b[2Jeedy"', "gr"), (f"models: [{TINY}]", f'models: ["/nonexistent/\\u009b31m\\u202e"]', "nonexistent")]

    def manifest(name, text, expect, names):
        path = os.path.join(work, name)
        out = os.path.join(work, "runs", name)
        with open(path, "wb") as f:
            f.write(text.replace("OUT", out).encode("utf-8", "surrogatepass"))
        cases.append(Case("manifest", ["run", path], expect, [path] + names, [path, data]))

    for i, (old, new, key) in enumerate(typed):
        manifest(f"typed{i}.yaml", valid.replace(old, new), "error", [key])
    laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{l}: &a{l} [" + ", ".join([f"*a{l - 1}"] * 9) + "]\n" for l in range(1, 10))
    manifest("laughs.yaml", laughs + valid, "error", [])
    manifest("deep.yaml", "name: x\nmodels: " + "[" * 100000 + "\n", "error", [])
    manifest("deepblock.yaml", "".join(" " * i + f"k{i}:\n" for i in range(3000)), "error", [])
    manifest("dashes.yaml", "name: x\nmodels:\n" + "- " * 100000 + "x\n", "error", [])
    manifest("big.yaml", valid + "# " + "a" * (5 << 20) + "\n", "error", [])
    fragments = ["[", "{", "&a ", "*a", ": ", "- ", "\n", "'", '"', "#", "|", "!!binary ", "\x00", "\x1b[2J", "9223372036854775808", ".nan", "-1", "abc", "<<: *a\n"]
    for i in range(150):
        text = list(valid)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(text) + 1)
            if rng.random() < 0.6:
                text.insert(position, rng.choice(fragments))
            else:
                del text[position:position + rng.randint(1, 8)]
        manifest(f"m{i}.yaml", "".join(text), "any", [])
    fifo = os.path.join(work, "pipe.yaml")
    os.mkfifo(fifo)
    cases.append(Case("manifest", ["run", fifo], "error", [fifo], protected=[fifo]))
    out_full = os.path.join(work, "full.yaml")
    with open(out_full, "w") as f:
        f.write(valid.replace("OUT", "/dev/full"))
    cases.append(Case("manifest", ["run", out_full], "error", ["/dev/full"], protected=["/dev/full"]))
    return cases


# ---------------------------------------------------------------- flags

def in_range(low, high, integer=True):
    def check(text):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            return False
        if not integer and value != value:
            return False
        return low <= value <= high
    return check


def positive_finite(text):
    try:
        value = float(text)
    except ValueError:
        return False
    return 0 < value < float("inf")


def flag_cases(work, rng, image):
    cases = []
    generate = ["generate", "--model", TINY, "--prompt", "Hi", "--image", image]
    pgd_out = os.path.join(work, "adv.png")
    table = [
        (generate, "--max-new-tokens", in_range(1, 1 << 20), ["--max-new-tokens"], {"--max-new-tokens": "2"}),
        (generate + ["--max-new-tokens", "2"], "--beams", in_range(1, 4), ["beams"], {}),
        # The sampling ranges are Lucid's documented ones (docs/security.md, "Flags"): any finite
        # temperature > 0 (a huge one samples uniformly; one so small that the logits overflow is
        # refused at the first sample), top-p in (0, 1] (a tiny one keeps the top token), top-k
        # 0…Int.max (≥ the vocabulary keeps every token). SamplingExtremesTests pins those meanings.
        (generate + ["--max-new-tokens", "2"], "--temperature", positive_finite, ["temperature"], {}),
        (generate + ["--max-new-tokens", "2", "--temperature", "1"], "--top-p", lambda t: in_range(0, 1, False)(t) and float(t) > 0, ["top"], {}),
        (generate + ["--max-new-tokens", "2", "--temperature", "1"], "--top-k", in_range(0, 2 ** 63 - 1), ["top"], {}),
        # The penalties' ranges (docs/security.md): repetition 0.001…1000, presence and frequency OpenAI's −2…2.
        (generate + ["--max-new-tokens", "2"], "--repetition-penalty", in_range(0.001, 1000, False), ["repetition"], {}),
        (generate + ["--max-new-tokens", "2", "--temperature", "1"], "--presence-penalty", in_range(-2, 2, False), ["presence"], {}),
        (generate + ["--max-new-tokens", "2"], "--frequency-penalty", in_range(-2, 2, False), ["frequency"], {}),
        # Min-p 0…1 (sampling), the minimum length 0…--max-new-tokens, the logit bias a JSON object (no number is one).
        (generate + ["--max-new-tokens", "2", "--temperature", "1"], "--min-p", in_range(0, 1, False), ["min-p"], {}),
        (generate + ["--max-new-tokens", "2"], "--min-new-tokens", in_range(0, 2), ["min"], {}),
        (generate + ["--max-new-tokens", "2"], "--logit-bias", lambda t: False, ["logit-bias"], {}),
        # Beam search takes the repetition penalty and the minimum length too (on each beam's log-probabilities).
        (generate + ["--max-new-tokens", "2", "--beams", "2"], "--repetition-penalty", in_range(0.001, 1000, False), ["repetition"], {}),
        (generate + ["--max-new-tokens", "2", "--beams", "2"], "--min-new-tokens", in_range(0, 2), ["min"], {}),
        # The n-gram ban 0…2^20 (as --max-new-tokens; any n past the sequence bans nothing), greedy and beam search.
        (generate + ["--max-new-tokens", "2"], "--no-repeat-ngram-size", in_range(0, 1 << 20), ["ngram"], {}),
        (generate + ["--max-new-tokens", "2", "--beams", "2"], "--no-repeat-ngram-size", in_range(0, 1 << 20), ["ngram"], {}),
        (["attack", "pgd", "--model", TINY, "--image", image, "--target", "x", "--steps", "1", "--max-new-tokens", "2", "--out", pgd_out], "--eps",
         lambda t: in_range(0, 1, False)(t), ["eps"], {}),
        (["attack", "pgd", "--model", TINY, "--image", image, "--target", "x", "--max-new-tokens", "2", "--out", pgd_out], "--steps", in_range(0, 10 ** 6), ["steps"], {}),
        (["world", "generate", "--no-images", "--out", os.path.join(work, "world")], "--count", in_range(0, 50), ["count"], {}),
        (["world", "generate", "--no-images", "--count", "2", "--out", os.path.join(work, "world2")], "--image-size", in_range(16, 4096), ["image"], {}),
        (["info", os.path.join(TINY, "model.safetensors")], "--array-limit", in_range(0, 2 ** 63 - 1), ["array-limit"], {}),
    ]
    values = HOSTILE_NUMBERS + ["-8/255", "8/-255", "1/0", "0.5", "2", "1"]
    for prefix, flag, valid, names, _ in table:
        for value in values:
            for form in ("separate", "joined"):
                args = prefix + ([flag, value] if form == "separate" else [f"{flag}={value}"])
                expect = "any" if valid(value.strip() if value.strip() == value else "x") else "error"
                cases.append(Case("flags", args, expect, names + [flag.lstrip("-")]))
    # Logit biases: token ids past the vocabulary or of no integer form, biases past ±100 or not finite, broken JSON.
    for bias, expect in [('{"2": 100}', "any"), ('{"2": -100, "5": 0.5}', "any"), ("{}", "any"), ('{"2": 1e309}', "error"),
                         ('{"2": 100.001}', "error"), ('{"-1": 1}', "error"), ('{"99999999999999999999": 1}', "error"),
                         ('{"999999": 1}', "error"), ('{" 2": 1}', "error"), ('{"2": "1"}', "error"), ('{"2": null}', "error"),
                         ("[", "error"), ('{"2": 1', "error"), ("{" + ", ".join(f'"{i}": 1' for i in range(1025)) + "}", "error")]:
        cases.append(Case("flags", generate + ["--max-new-tokens", "2", "--logit-bias", bias], expect, ["logit"]))
        cases.append(Case("flags", generate + ["--max-new-tokens", "2", "--beams", "2", "--logit-bias", bias], expect, ["logit"]))
    # A single-value option given twice is refused (swift-argument-parser alone would keep the last).
    world_out = os.path.join(work, "world-twice")
    for args, flag in [(generate + ["--max-new-tokens", "2", "--max-new-tokens", "3"], "max-new-tokens"),
                       (generate + ["--max-new-tokens=2", "--max-new-tokens", "3"], "max-new-tokens"),
                       (["generate", "--model", TINY, "--model", "smollm2", "--prompt", "Hi", "--max-new-tokens", "1"], "model"),
                       (generate + ["--max-new-tokens", "1", "--prompt", "Bye"], "prompt"),
                       (["tokenize", "--text", "a", "--text", "b"], "text"),
                       (["world", "generate", "--no-images", "--count", "1", "--count", "2", "--out", world_out], "count")]:
        cases.append(Case("flags", args, "error", [f"--{flag} was given 2 times"], protected=[world_out]))
    cases.append(Case("flags", generate + ["--max-new-tokens", "1", "--fused-attention", "--no-fused-attention"], "error",
                      ["--fused-attention and --no-fused-attention"]))
    # Control characters in flag values that errors quote: escaped, never sent to the terminal.
    cases.append(Case("flags", generate + ["--max-new-tokens", "1", "--template", "\x1b[31mred\x07"], "error", ["red"]))
    cases.append(Case("flags", ["generate", "--model", "/nonexistent/\x1b]0;pwned\x07\r", "--prompt", "Hi"], "error", ["nonexistent"]))
    cases.append(Case("flags", ["run", os.path.join(work, "no-such\x1b[2J.yaml")], "error", ["no-such"]))
    cases.append(Case("flags", ["serve", "--model", TINY, "--reasoning", "\x1b[31msplit"], "error", ["reasoning"]))
    cases.append(Case("flags", ["eval", "asr", "--responses", "/nonexistent.jsonl", "--reasoning", "drop"], "error", ["reasoning"]))
    cases.append(Case("flags", generate + ["--max-new-tokens", "1", "--stop", ""], "error", ["--stop"]))
    for target in ["/dev/full", work]:
        cases.append(Case("flags", ["attack", "pgd", "--model", TINY, "--image", image, "--target", "x", "--steps", "1", "--max-new-tokens", "2",
                                    "--out", target], "error", [target], protected=[target]))
        if target == "/dev/full":  # an existing directory is a valid --out for world generate
            cases.append(Case("flags", ["world", "generate", "--no-images", "--count", "1", "--out", target], "error", [target], protected=[target]))
    return cases


# ---------------------------------------------------------------- running

def echoed_control(char):
    """Whether a character of standard error would act on a terminal (newlines and tabs only lay text out)."""
    code = ord(char)
    return (code < 0x20 and char not in "\n\t") or code == 0x7F or 0x80 <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


def run(case, lucid, timeout, env):
    before = {path: sha(path) for path in case.inputs if kind_of(path) == "file"}
    kinds = {path: kind_of(path) for path in case.protected}
    start = time.monotonic()
    try:
        process = subprocess.run([lucid] + case.args, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        status, err = process.returncode, process.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        status, err = None, ""
    elapsed = time.monotonic() - start
    outcome = []
    if status is None:
        outcome.append("hang")
    elif status < 0 or status in (132, 133, 134, 135, 136, 137, 139) or "Fatal error" in err or "libc++abi" in err:
        outcome.append("crash")
    elif case.expect == "error" and status == 0:
        outcome.append("coercion")
    elif status not in (0,) and case.names and not any(name and name in err for name in case.names):
        outcome.append("vague")
    if any(echoed_control(c) for c in err):
        outcome.append("echoed")
    for path, kind in kinds.items():
        if kind_of(path) != kind:
            outcome.append("destroyed")
    for path, digest in before.items():
        if sha(path) != digest:
            outcome.append("destroyed")
    return {"kind": case.kind, "args": case.args, "expect": case.expect, "status": status, "seconds": round(elapsed, 2),
            "outcome": outcome, "error": err.strip().splitlines()[-1][:300] if err.strip() else "", "note": case.note}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lucid", required=True)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write every case's outcome here")
    parser.add_argument("--only", help="run only these kinds (comma-separated)")
    parser.add_argument("--count", action="store_true", help="print how many cases of each kind, run nothing")
    options = parser.parse_args()
    lucid = os.path.abspath(options.lucid)
    rng = random.Random(options.seed)
    work = tempfile.mkdtemp(prefix="lucid-hostile-")
    env = dict(os.environ, LUCID_THREADS="1", LUCID_BLAS_THREADS="1")
    try:
        image = os.path.join(work, "clean.png")
        shutil.copy(os.path.join(CODEC, "rgb8.png") if os.path.exists(os.path.join(CODEC, "rgb8.png")) else
                    next(os.path.join(CODEC, n) for n in sorted(os.listdir(CODEC)) if n.endswith(".png") and "bad" not in n and "empty" not in n), image)
        sections = {"checkpoint": lambda d: checkpoint_cases(d, rng, os.environ.get("LUCID_SMOLLM2_GGUF")),
                    "model": lambda d: model_cases(d, rng, image), "image": lambda d: image_cases(d, rng),
                    "eval": lambda d: eval_cases(d, rng), "manifest": lambda d: manifest_cases(d, rng),
                    "flags": lambda d: flag_cases(d, rng, image), "processor": lambda d: processor_output_cases(d, rng, Case)}
        wanted = options.only.split(",") if options.only else list(sections)
        cases = []
        for name in wanted:
            folder = os.path.join(work, name)
            os.makedirs(folder)
            cases += sections[name](folder)
        if options.count:
            kinds = {}
            for case in cases:
                kinds[case.kind] = kinds.get(case.kind, 0) + 1
            print(len(cases), kinds)
            return 0
        # A binary that cannot start (libtorch not found: status 127) would make every case a "refusal":
        # the campaign means nothing then, so it stops here.
        probe = subprocess.run([lucid, "--version"], capture_output=True, text=True, env=env, timeout=60)
        if probe.returncode != 0:
            print(f"hostile: {lucid} --version exited {probe.returncode}; it cannot run, so no case would mean anything:\n"
                  f"{probe.stderr.strip()}", file=sys.stderr)
            return 2
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(options.workers) as pool:
            results = list(pool.map(lambda c: run(c, lucid, options.timeout, env), cases))
        totals = {key: 0 for key in ["cases", "crash", "hang", "coercion", "destroyed", "vague", "echoed", "refused", "ran"]}
        by_kind = {}
        for result in results:
            totals["cases"] += 1
            row = by_kind.setdefault(result["kind"], {"cases": 0, "crash": 0, "hang": 0, "coercion": 0, "destroyed": 0, "vague": 0, "echoed": 0})
            row["cases"] += 1
            totals["refused" if result["status"] not in (0, None) else "ran"] += 1
            for outcome in set(result["outcome"]):
                totals[outcome] += 1
                row[outcome] += 1
        for result in results:
            if result["outcome"]:
                print(f"{','.join(result['outcome']):10} {result['kind']:10} {' '.join(result['args'])[:160]}\n           -> status {result['status']}: {result['error'][:200]}")
        print(f"\n{totals['cases']} cases in {time.monotonic() - started:.0f} s (seed {options.seed}): "
              f"{totals['crash']} crashes, {totals['hang']} hangs (> {options.timeout:g} s), {totals['coercion']} silent coercions, "
              f"{totals['destroyed']} files destroyed, {totals['vague']} vague errors, {totals['echoed']} echoed control characters; {totals['refused']} refused, {totals['ran']} ran")
        for kind, row in by_kind.items():
            print(f"  {kind:10} {row}")
        if options.json:
            with open(options.json, "w") as f:
                json.dump({"totals": totals, "by_kind": by_kind, "results": results}, f, indent=1)
        bad = totals["crash"] + totals["hang"] + totals["coercion"] + totals["destroyed"] + totals["echoed"]
        return 1 if bad else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
