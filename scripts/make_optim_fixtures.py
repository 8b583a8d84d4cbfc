#!/usr/bin/env python3
"""Reference values for Lucid's training utilities (Tests/LucidNNTests/Fixtures/optim.safetensors):
torch.optim.AdamW steps with a warm-up + cosine schedule (transformers'
get_cosine_schedule_with_warmup), clip_grad_norm_, and F.cross_entropy with ignore_index.

Deterministic: parameters and the gradient of every step are recorded. Run with the bench venv
(Debian torch 1.13 + transformers 4.40.2): .venv-bench/bin/python scripts/make_optim_fixtures.py
"""
import os

import torch
import transformers
from safetensors.torch import save_file

OUT = os.path.join("Tests", "LucidNNTests", "Fixtures")


def main():
    torch.manual_seed(5000)
    w = torch.nn.Parameter(torch.randn(4, 3))
    b = torch.nn.Parameter(torch.randn(3))
    tensors = {"w0": w.detach().clone(), "b0": b.detach().clone()}
    optimizer = torch.optim.AdamW([w, b], lr=0.05, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)
    schedule = transformers.get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=2, num_training_steps=6)
    for step in range(6):
        gw, gb = torch.randn(4, 3) * 3, torch.randn(3)
        tensors[f"gw{step}"], tensors[f"gb{step}"] = gw, gb
        w.grad, b.grad = gw.clone(), gb.clone()
        norm = torch.nn.utils.clip_grad_norm_([w, b], max_norm=2.0)
        tensors[f"norm{step}"] = norm.reshape(1)
        tensors[f"lr{step}"] = torch.tensor([optimizer.param_groups[0]["lr"]])
        optimizer.step()
        schedule.step()
        tensors[f"w{step + 1}"], tensors[f"b{step + 1}"] = w.detach().clone(), b.detach().clone()
    logits = torch.randn(5, 7)
    targets = torch.tensor([3, -100, 0, 6, -100])
    tensors["ce_logits"], tensors["ce_targets"] = logits, targets
    tensors["ce_loss"] = torch.nn.functional.cross_entropy(logits, targets, ignore_index=-100).reshape(1)
    os.makedirs(OUT, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "optim.safetensors"))


if __name__ == "__main__":
    main()
