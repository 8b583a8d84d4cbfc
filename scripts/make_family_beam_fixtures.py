#!/usr/bin/env python3
"""3-beam goldens for the LLaVA-NeXT, Qwen2-VL and InstructBLIP conformance fixtures.

Loads each fixture's saved tiny model (Tests/LucidModelsTests/Fixtures/{llava-next,qwen2-vl,instructblip}/model,
made by make_{llava_next,qwen2_vl,instructblip}_fixtures.py) with eager attention, rebuilds the prompt
of its golden file exactly as that script did (the image placeholder expanded to the image's feature
count), checks that the reloaded model still gives the golden greedy tokens, and runs a 3-beam search
(6 new tokens, EOS 2, early stopping — Qwen2.5-VL's fixture does the same). Writes `beam.safetensors`
next to each `golden.safetensors`: `<image>.beam3` (InstructBLIP: `beam3`).

Run from the repository root:  .venv-bench/bin/python scripts/make_family_beam_fixtures.py
"""
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

ROOT = os.path.join("Tests", "LucidModelsTests", "Fixtures")
BEAM = dict(max_new_tokens=6, do_sample=False, num_beams=3, early_stopping=True, eos_token_id=2, pad_token_id=0)
GREEDY = dict(max_new_tokens=8, do_sample=False, num_beams=1, eos_token_id=None, pad_token_id=0)


def expand(ids, placeholder, count):
    at = ids.index(placeholder)
    return torch.tensor([ids[:at] + [placeholder] * count + ids[at + 1:]])


def run(model, golden, key, inputs, expanded):
    with torch.no_grad():
        greedy = model.generate(input_ids=expanded, **inputs, **GREEDY)[:, expanded.shape[1]:]
        assert torch.equal(greedy, golden[f"{key}greedy"]), f"{key}: reloaded model's greedy {greedy.tolist()}"
        return model.generate(input_ids=expanded, **inputs, **BEAM)[:, expanded.shape[1]:]


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}", file=sys.stderr)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__}

    folder = os.path.join(ROOT, "llava-next")
    golden = load_file(os.path.join(folder, "golden.safetensors"))
    model = transformers.LlavaNextForConditionalGeneration.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager").eval()
    beams = {}
    for name in ("wide", "tall"):
        ids = golden[f"{name}.input_ids"][0].tolist()
        expanded = expand(ids, model.config.image_token_id, golden[f"{name}.image_features"].shape[0])
        inputs = dict(pixel_values=golden[f"processor.{name}.pixel_values"].unsqueeze(0),
                      image_sizes=golden[f"processor.{name}.image_sizes"].unsqueeze(0))
        beams[f"{name}.beam3"] = run(model, golden, f"{name}.", inputs, expanded)
    save_file(beams, os.path.join(folder, "beam.safetensors"), metadata=meta)
    print(f"llava-next {[(k, v.tolist()) for k, v in beams.items()]}", file=sys.stderr)

    folder = os.path.join(ROOT, "qwen2-vl")
    golden = load_file(os.path.join(folder, "golden.safetensors"))
    model = transformers.Qwen2VLForConditionalGeneration.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager").eval()
    beams = {}
    for name in ("wide", "tall"):
        grid = golden[f"processor.{name}.image_grid_thw"]
        ids = golden[f"{name}.input_ids"][0].tolist()
        expanded = expand(ids, model.config.image_token_id, int(grid.prod()) // 4)
        inputs = dict(pixel_values=golden[f"processor.{name}.pixel_values"], image_grid_thw=grid,
                      mm_token_type_ids=(expanded == model.config.image_token_id).int())
        beams[f"{name}.beam3"] = run(model, golden, f"{name}.", inputs, expanded)
    save_file(beams, os.path.join(folder, "beam.safetensors"), metadata=meta)
    print(f"qwen2-vl {[(k, v.tolist()) for k, v in beams.items()]}", file=sys.stderr)

    folder = os.path.join(ROOT, "instructblip")
    golden = load_file(os.path.join(folder, "golden.safetensors"))
    model = transformers.InstructBlipForConditionalGeneration.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager").eval()
    ids = golden["input_ids"][0].tolist()
    expanded = expand(ids, model.config.image_token_index, model.config.num_query_tokens)
    qformer = golden["qformer_input_ids"]
    inputs = dict(pixel_values=golden["pixel_values"], qformer_input_ids=qformer, qformer_attention_mask=torch.ones_like(qformer))
    beams = {"beam3": run(model, golden, "", inputs, expanded)}
    save_file(beams, os.path.join(folder, "beam.safetensors"), metadata=meta)
    print(f"instructblip {beams['beam3'].tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
