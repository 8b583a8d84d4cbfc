#!/usr/bin/env python3
"""Reference fixtures for LucidVision's tests (Tests/LucidVisionTests/Fixtures).

What it writes, all with the goldens produced by PIL 9.4 / transformers 4.40 as installed:

  codec/     small synthetic PNGs (every colour type and bit depth, palettes with and without
             tRNS or with indices past their entries, Adam7 interlacing; written by the minimal PNG encoder below, with all five
             row filters, because Pillow cannot write 16-bit RGB or interlaced PNGs) and JPEGs
             (written by Pillow: 4:2:0, 4:2:2, 4:4:4, optimised, progressive, greyscale, CMYK
             with and without its Adobe marker). For each, NAME.rgb holds PIL's
             `Image.open(NAME).convert("RGB")` bytes; PNGs also get NAME.wide16, the big-endian
             16-bit colour samples the file stores (8-bit ones widened as v * 257; alpha dropped;
             palette expanded) -- from the script's own source arrays, since PIL cannot read
             16-bit colour at full precision. codec/manifest.json lists them, plus damaged files
             (truncated, corrupt, huge dimensions, empty, not an image) with what PIL does.
  photos/    three real photographs from scikit-image's sample data (see Fixtures/README.md).
  clip/      CLIPImageProcessor pixel_values for each photo, shortest edge/crop 224 and 336,
             with and without LLaVA's expand2square. pixel_values are (u8 / 255 - mean) / std
             for the uint8 image u8 = round((pixel_values * std + mean) * 255), and the script
             checks that renormalising u8 reproduces pixel_values exactly; u8 is stored as a PNG
             for rocket.jpg and pinned by its FNV-1a 64 hash for every case, next to 256 sampled
             float32 values and the float64 sum of all values straight from the processor
             (clip/manifest.json).
  resample/  PIL `Image.resize` outputs for every convolution filter, up and down, one axis and
             both (resample/manifest.json).

Run from the repository root:
  .venv-bench/bin/python scripts/make_vision_fixtures.py [--skimage-data DIR]
DIR holds scikit-image's data files (default: the python3-skimage package's directory). Without
the package installed: `apt-get download python3-skimage && dpkg-deb -x python3-skimage_*.deb x`
and pass x/usr/lib/python3/dist-packages/skimage/data.
"""
import argparse
import hashlib
import io
import json
import os
import re
import shutil
import struct
import sys
import warnings
import zlib

import numpy as np
import PIL
import transformers
from PIL import Image, features
from transformers import CLIPImageProcessor

OUT = os.path.join("Tests", "LucidVisionTests", "Fixtures")
FULL_GOLDEN_PHOTO = "rocket.jpg"
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


# ---------------------------------------------------------------------------------------------
# A minimal PNG encoder (any colour type and bit depth, five filter types, Adam7).

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """One scanline's samples (1-D ints) to bytes, MSB first for sub-byte depths."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    if bit_depth == 8:
        return bytes(int(v) for v in samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for start in range(0, len(samples), per_byte):
        byte = 0
        group = list(samples[start:start + per_byte]) + [0] * (per_byte - len(samples[start:start + per_byte]))
        for v in group:
            byte = (byte << bit_depth) | int(v)
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, previous, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = previous[i] if previous is not None else 0
        c = previous[i - bpp] if previous is not None and i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def encode_png(samples, bit_depth, color_type, palette=None, trns=None, interlace=False):
    """samples: (H, W, C) ints as stored (palette indices for colour type 3)."""
    height, width, channels = samples.shape
    bpp = max(1, channels * bit_depth // 8)
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    row_counter = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        previous = None
        for y in range(sub.shape[0]):
            row = pack_row(sub[y].reshape(-1), bit_depth)
            raw += filter_row(row_counter % 5, row, previous, bpp)  # all five filters in turn
            row_counter += 1
            previous = row
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        data += chunk(b"PLTE", bytes(int(v) for v in np.asarray(palette).reshape(-1)))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    return data + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# Helpers

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def pil_rgb(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def pil_outcome(data):
    """'ok' or the exception PIL raises when opening and loading `data`."""
    try:
        Image.open(io.BytesIO(data)).convert("RGB")
        return "ok"
    except Exception as error:  # noqa: BLE001 - recorded, not handled
        return re.sub(r" <_io.BytesIO object at 0x[0-9a-f]+>", "", f"{type(error).__name__}: {error}")


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pattern(height, width, channels, seed, maximum):
    """Gradients plus noise, spanning the whole range [0, maximum]."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width]
    planes = []
    for c in range(channels):
        ramp = (x * (c + 1) * 37 + y * (3 - c % 3) * 53) % (maximum + 1)
        noise = rng.randint(0, maximum + 1, size=(height, width))
        planes.append(np.where((x + y + c) % 3 == 0, noise, ramp))
    planes = np.stack(planes, axis=-1).astype(np.int64)
    planes[0, 0, :] = 0
    planes[-1, -1, :] = maximum
    return planes


# ---------------------------------------------------------------------------------------------
# codec/

def make_png_cases():
    h, w = 11, 17
    cases = []

    def add(name, samples, bit_depth, color_type, wide, **kw):
        data = encode_png(samples, bit_depth, color_type, **kw)
        cases.append((name, data, wide))

    for depth in (1, 2, 4, 8, 16):
        grey = pattern(h, w, 1, depth, (1 << depth) - 1)
        wide = grey * (65535 // ((1 << depth) - 1))
        add(f"grey{depth}", grey, depth, 0, wide)
    grey8 = pattern(h, w, 1, 80, 255)
    add("grey8_trns", grey8, 8, 0, grey8 * 257, trns=struct.pack(">H", int(grey8[1, 1, 0])))
    grey16 = pattern(h, w, 1, 160, 65535)
    add("grey16_interlaced", grey16, 16, 0, grey16, interlace=True)
    for depth in (8, 16):
        m = (1 << depth) - 1
        ga = pattern(h, w, 2, 40 + depth, m)
        add(f"grey_alpha{depth}", ga, depth, 4, ga[..., :1] * (65535 // m))
        rgb = pattern(h, w, 3, 20 + depth, m)
        add(f"rgb{depth}", rgb, depth, 2, rgb * (65535 // m))
        rgba = pattern(h, w, 4, 60 + depth, m)
        add(f"rgba{depth}", rgba, depth, 6, rgba[..., :3] * (65535 // m))
    rgb8 = pattern(h, w, 3, 99, 255)
    add("rgb8_trns", rgb8, 8, 2, rgb8 * 257, trns=struct.pack(">HHH", *[int(v) for v in rgb8[2, 3]]))
    add("rgb8_interlaced", rgb8, 8, 2, rgb8 * 257, interlace=True)
    rgba16 = pattern(h, w, 4, 77, 65535)
    add("rgba16_interlaced", rgba16, 16, 6, rgba16[..., :3], interlace=True)
    for depth in (1, 2, 4, 8):
        count = min(1 << depth, 200)
        palette = pattern(1, count, 3, 300 + depth, 255)[0]
        indices = pattern(h, w, 1, 310 + depth, count - 1)
        add(f"palette{depth}", indices, depth, 3, palette[indices[..., 0]] * 257, palette=palette)
    palette = pattern(1, 16, 3, 400, 255)[0]
    indices = pattern(h, w, 1, 401, 15)
    alphas = bytes(range(0, 256, 32))  # tRNS for the first 8 entries
    add("palette4_trns", indices, 4, 3, palette[indices[..., 0]] * 257, palette=palette, trns=alphas)
    add("palette4_trns_interlaced", indices, 4, 3, palette[indices[..., 0]] * 257, palette=palette,
        trns=alphas, interlace=True)
    # Indices past the PLTE entries: PIL maps index i to its initial greyscale ramp (i, i, i).
    short = pattern(1, 3, 3, 500, 255)[0]
    indices = pattern(h, w, 1, 501, 255)
    ramp = np.stack([np.arange(256)] * 3, axis=-1)
    ramp[:3] = short
    add("palette8_short", indices, 8, 3, ramp[indices[..., 0]] * 257, palette=short)
    # One written by Pillow's own encoder as well.
    buffer = io.BytesIO()
    Image.fromarray(rgb8.astype(np.uint8), "RGB").save(buffer, "PNG")
    cases.append(("pillow_rgb8", buffer.getvalue(), rgb8 * 257))
    return cases


def jpeg_source(height=21, width=33):
    y, x = np.mgrid[0:height, 0:width]
    r = 128 + 100 * np.sin(x / 4.0) * np.cos(y / 5.0)
    g = (x * 255 // (width - 1) + (y % 4) * 10) % 256
    b = 255 - y * 255 // (height - 1)
    return np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)


def make_jpeg_cases():
    source = Image.fromarray(jpeg_source(), "RGB")
    cases = []

    def save(name, image, **kw):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", **kw)
        cases.append((name, buffer.getvalue()))

    save("baseline_420", source, quality=90, subsampling=2)
    save("baseline_422", source, quality=90, subsampling=1)
    save("baseline_444", source, quality=95, subsampling=0)
    save("optimized", source, quality=75, optimize=True)
    save("progressive", source, quality=85, progressive=True)
    save("grey", source.convert("L"), quality=90)
    cmyk = Image.fromarray(np.stack([np.asarray(source)[..., 0], np.asarray(source)[..., 1],
                                     np.asarray(source)[..., 2], 255 - np.asarray(source)[..., 1]],
                                    axis=-1), "CMYK")
    save("cmyk_adobe", cmyk, quality=90)
    data = cases[-1][1]
    start = data.find(b"\xff\xee")
    length = struct.unpack(">H", data[start + 2:start + 4])[0]
    cases.append(("cmyk_no_adobe", data[:start] + data[start + 2 + length:]))
    return cases


def sof_offset(data):
    """Offset of the first SOFn marker's segment (after FF Cx)."""
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return i + 4
        i += 2 + length
    raise ValueError("no SOF")


def make_error_cases(png_rgb, jpeg_baseline, jpeg_progressive):
    cases = []
    cases.append(("empty.png", b"", "empty"))
    cases.append(("not_an_image.txt", b"This is a text file, not an image.\n", "unknownFormat"))
    cases.append(("signature_only.png", png_rgb[:8], "truncated"))
    cases.append(("truncated.png", png_rgb[: len(png_rgb) * 6 // 10], "truncated"))
    cases.append(("truncated.jpg", jpeg_baseline[: len(jpeg_baseline) // 2], "truncated"))
    cases.append(("truncated_progressive.jpg", jpeg_progressive[: len(jpeg_progressive) // 2], "truncated"))
    cases.append(("soi_only.jpg", b"\xff\xd8\xff", "truncated"))
    # A flipped byte inside IDAT: libpng's CRC check fails (PIL does not check IDAT CRCs).
    idat = png_rgb.find(b"IDAT") + 4
    flipped = bytearray(png_rgb)
    flipped[idat + 10] ^= 0xFF
    cases.append(("bad_crc.png", bytes(flipped), "corrupt"))
    # Garbage zlib data with a correct CRC.
    ihdr = struct.pack(">IIBBBBB", 17, 11, 8, 2, 0, 0, 0)
    bad_zlib = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"\x00garbage-not-zlib" * 4) + chunk(b"IEND", b"")
    cases.append(("bad_zlib.png", bad_zlib, "corrupt"))
    zero = struct.pack(">IIBBBBB", 0, 11, 8, 2, 0, 0, 0)
    cases.append(("zero_width.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", zero) + chunk(b"IEND", b""), "corrupt"))
    huge = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    huge_png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", huge) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                + chunk(b"IEND", b""))
    cases.append(("huge_dimensions.png", huge_png, "tooLarge"))
    at = sof_offset(jpeg_baseline)
    huge_jpeg = bytearray(jpeg_baseline)
    huge_jpeg[at + 1:at + 5] = struct.pack(">HH", 65000, 65000)  # height, width
    cases.append(("huge_dimensions.jpg", bytes(huge_jpeg), "tooLarge"))
    # Huffman table garbled: DHT's class/id byte set to an invalid table index.
    dht = jpeg_baseline.find(b"\xff\xc4")
    bad_dht = bytearray(jpeg_baseline)
    bad_dht[dht + 4] = 0x1F
    cases.append(("bad_huffman.jpg", bytes(bad_dht), "corrupt"))
    # Zero components in SOF.
    no_components = bytearray(jpeg_baseline)
    no_components[at + 5] = 0
    cases.append(("zero_components.jpg", bytes(no_components), "corrupt"))
    return cases


def make_codec():
    folder = os.path.join(OUT, "codec")
    shutil.rmtree(folder, ignore_errors=True)
    manifest = {"png": [], "jpeg": [], "errors": []}
    pngs = make_png_cases()
    for name, data, wide in pngs:
        write(os.path.join(folder, name + ".png"), data)
        rgb = pil_rgb(data)
        write(os.path.join(folder, name + ".rgb"), rgb.tobytes())
        write(os.path.join(folder, name + ".wide16"), np.asarray(wide, dtype=">u2").tobytes())
        opened = Image.open(io.BytesIO(data))
        manifest["png"].append({"name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                                "wide_channels": int(np.asarray(wide).shape[-1]),
                                "pil_mode": opened.mode, "interlaced": "interlace" in opened.info})
    jpegs = make_jpeg_cases()
    for name, data in jpegs:
        write(os.path.join(folder, name + ".jpg"), data)
        rgb = pil_rgb(data)
        write(os.path.join(folder, name + ".rgb"), rgb.tobytes())
        opened = Image.open(io.BytesIO(data))
        manifest["jpeg"].append({"name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                                 "pil_mode": opened.mode, "progressive": bool(opened.info.get("progressive")),
                                 "adobe": "adobe" in opened.info})
    big_rgb = encode_png(pattern(64, 64, 3, 5, 255), 8, 2)
    big_source = Image.fromarray(np.tile(jpeg_source(), (4, 2, 1))[:64, :64], "RGB")
    buffers = []
    for kw in ({"quality": 90}, {"quality": 90, "progressive": True}):
        buffer = io.BytesIO()
        big_source.save(buffer, "JPEG", **kw)
        buffers.append(buffer.getvalue())
    for name, data, expected in make_error_cases(big_rgb, *buffers):
        write(os.path.join(folder, name), data)
        manifest["errors"].append({"name": name, "expected": expected, "pil": pil_outcome(data)})
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"codec: {len(pngs)} PNGs, {len(jpegs)} JPEGs, {len(manifest['errors'])} damaged files")


# ---------------------------------------------------------------------------------------------
# photos/

def make_photos(skimage_data):
    folder = os.path.join(OUT, "photos")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    sources = {name: os.path.join(skimage_data, name) for name in ("rocket.jpg", "chelsea.png", "coffee.png")}
    shutil.copyfile(sources["rocket.jpg"], os.path.join(folder, "rocket.jpg"))
    Image.open(sources["chelsea.png"]).convert("RGB").crop((110, 0, 310, 300)).save(
        os.path.join(folder, "chelsea_crop.png"), optimize=True)
    Image.open(sources["coffee.png"]).convert("RGB").save(
        os.path.join(folder, "coffee_progressive.jpg"), quality=90, progressive=True)
    photos = []
    for name in ("rocket.jpg", "chelsea_crop.png", "coffee_progressive.jpg"):
        path = os.path.join(folder, name)
        rgb = np.asarray(Image.open(path).convert("RGB"))
        photos.append({"name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                       "bytes": os.path.getsize(path), "sha256": sha256(path),
                       "rgb_fnv1a64": fnv1a64(rgb.tobytes()),
                       "pixel_0_0": rgb[0, 0].tolist(), "pixel_last": rgb[-1, -1].tolist()})
    provenance = {name: {"sha256": sha256(path)} for name, path in sources.items()}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"photos": photos, "sources": provenance}, f, indent=1)
    print("photos:", ", ".join(f"{p['name']} {p['width']}x{p['height']} {p['bytes']} B" for p in photos))
    return [p["name"] for p in photos]


# ---------------------------------------------------------------------------------------------
# clip/

def expand2square(image, background):
    """LLaVA's expand2square (llava/mm_utils.py)."""
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    result = Image.new(image.mode, (side, side), background)
    result.paste(image, ((side - width) // 2, (side - height) // 2))
    return result


def make_clip(photos):
    folder = os.path.join(OUT, "clip")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    # The old-style config of openai/clip-vit-large-patch14-336 (ints for size and crop_size).
    config_336 = {"crop_size": 336, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                  "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": MEAN, "image_std": STD,
                  "resample": 3, "size": 336}
    with open(os.path.join(folder, "preprocessor_config_336.json"), "w") as f:
        json.dump(config_336, f, indent=2)
    parsed = CLIPImageProcessor.from_dict(config_336)
    assert parsed.size == {"shortest_edge": 336} and parsed.crop_size == {"height": 336, "width": 336}
    mean32, std32 = np.array(MEAN, np.float32), np.array(STD, np.float32)
    pad = tuple(int(x * 255) for x in MEAN)
    entries = []
    rng = np.random.RandomState(1234)
    for size in (224, 336):
        processor = CLIPImageProcessor(size={"shortest_edge": size}, crop_size=size)
        for photo in photos:
            for padded in (False, True):
                image = Image.open(os.path.join(OUT, "photos", photo)).convert("RGB")
                if padded:
                    image = expand2square(image, pad)
                pv = processor(images=image, return_tensors="np")["pixel_values"][0]
                assert pv.dtype == np.float32 and pv.shape == (3, size, size)
                u8 = np.rint((pv.astype(np.float64) * np.array(STD)[:, None, None]
                              + np.array(MEAN)[:, None, None]) * 255).clip(0, 255).astype(np.uint8)
                again = ((u8 * (1 / 255)).astype(np.float32) - mean32[:, None, None]) / std32[:, None, None]
                error = float(np.abs(again - pv).max())
                assert error == 0.0, f"{photo} {size}: uint8 reconstruction is off by {error}"
                hwc = np.ascontiguousarray(u8.transpose(1, 2, 0))
                name = None
                if photo == FULL_GOLDEN_PHOTO:  # the others are pinned by hash, samples and sum
                    name = f"{os.path.splitext(photo)[0]}_{size}{'_pad' if padded else ''}.png"
                    Image.fromarray(hwc, "RGB").save(os.path.join(folder, name), optimize=True)
                flat = pv.reshape(-1)
                indices = np.sort(rng.choice(flat.size, 256, replace=False))
                entries.append({"image": photo, "golden": name, "size": size, "pad_to_square": padded,
                                "shape": list(pv.shape), "uint8_fnv1a64": fnv1a64(hwc.tobytes()), "sum": float(pv.astype(np.float64).sum()),
                                "sample_indices": indices.tolist(),
                                "sample_values": [float(flat[i]) for i in indices],
                                "reconstruction_max_abs": error})
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"mean": MEAN, "std": STD, "pad_color": list(pad), "entries": entries}, f)
    print(f"clip: {len(entries)} goldens")


# ---------------------------------------------------------------------------------------------
# resample/

def make_resample():
    folder = os.path.join(OUT, "resample")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    chelsea = Image.open(os.path.join(OUT, "photos", "chelsea_crop.png")).convert("RGB")
    small = chelsea.crop((60, 80, 100, 110))  # 40 x 30
    small.save(os.path.join(folder, "source_small.png"))
    rocket = Image.open(os.path.join(OUT, "photos", "rocket.jpg")).convert("RGB")
    filters = {"lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}
    cases = [("chelsea_crop.png", chelsea, (61, 47)), ("source_small.png", small, (97, 71))]
    bicubic_only = [("source_small.png", small, (40, 71)), ("source_small.png", small, (97, 30)),
                    ("source_small.png", small, (23, 30)), ("rocket.jpg", rocket, (37, 23)),
                    ("chelsea_crop.png", chelsea, (1, 1))]
    entries = []
    for filter_name, code in filters.items():
        for source_name, image, size in cases + (bicubic_only if filter_name == "bicubic" else []):
            name = f"{os.path.splitext(source_name)[0]}_{filter_name}_{size[0]}x{size[1]}.png"
            image.resize(size, resample=code).save(os.path.join(folder, name))
            entries.append({"source": source_name, "filter": code, "width": size[0], "height": size[1],
                            "golden": name})
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"entries": entries}, f, indent=1)
    print(f"resample: {len(entries)} goldens")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skimage-data", default="/usr/lib/python3/dist-packages/skimage/data")
    args = parser.parse_args()
    # Pillow warns when converting palette images with tRNS; dropping alpha is the point here.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    if not os.path.isdir(os.path.join("Tests", "LucidVisionTests")):
        sys.exit("run from the repository root")
    missing = [name for name in ("rocket.jpg", "chelsea.png", "coffee.png")
               if not os.path.isfile(os.path.join(args.skimage_data, name))]
    if missing:
        sys.exit(f"{args.skimage_data} lacks {', '.join(missing)}: install python3-skimage or pass "
                 "--skimage-data (see this script's docstring)")
    print(f"PIL {PIL.__version__}, transformers {transformers.__version__}, numpy {np.__version__}, "
          f"libjpeg-turbo {features.version('libjpeg_turbo')}, zlib {features.version('zlib')}")
    make_codec()
    photos = make_photos(args.skimage_data)
    make_clip(photos)
    make_resample()


if __name__ == "__main__":
    main()
