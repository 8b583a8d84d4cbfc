#!/usr/bin/env python3
"""Where an organism's grounding fails: run with the .venv-bench (the torch wheel + pinned transformers).

1. Linear probes (seeded Adam, 300 scenes train / 100 test) for the category of every cell from the
   frozen ViT's cell tokens and from the projector's outputs, with the norms of vision features,
   projector outputs and token embeddings, and the within/between-category spread.
2. The description loss of the model on scenes of its training world with the right image and with
   another scene's image, and the answer tokens that cost more than 0.5 nats.

    lucid world generate --seed 9001 --count 400 --out /tmp/w9001
    lucid world generate --seed 1000 --count 40 --out /tmp/w1000
    .venv-bench/bin/python scripts/diagnose_organism_grounding.py Models/shapes-tiny /tmp/w9001 /tmp/w1000
"""
import json
import sys

import numpy as np
import torch
from PIL import Image
from tokenizers import Tokenizer
from transformers import LlavaForConditionalGeneration

MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)
CELLS = ['top-left', 'top', 'top-right', 'left', 'center', 'right', 'bottom-left', 'bottom', 'bottom-right']


def pixels(path, size):
    image = Image.open(path).convert('RGB').resize((size, size), Image.BICUBIC)
    return ((torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 255 - MEAN) / STD)[None]


def probes(model, world, size):
    torch.manual_seed(0)
    scenes = [json.loads(line) for line in open(world + '/scenes.jsonl')]
    categories = sorted({o['category'] for s in scenes for o in s['objects']})
    vision, projected, labels = [], [], []
    for scene in scenes:
        label = [len(categories)] * 9
        for o in scene['objects']:
            label[CELLS.index(o['cell'])] = categories.index(o['category'])
        with torch.no_grad():
            hidden = model.vision_tower(pixels(world + '/images/' + scene['image'], size), output_hidden_states=True).hidden_states[-1][0, 1:]
            vision.append(hidden)
            projected.append(model.multi_modal_projector(hidden))
        labels += label
    vision, projected, labels = torch.cat(vision), torch.cat(projected), torch.tensor(labels)
    embeddings = model.language_model.get_input_embeddings().weight
    print(f'norms: vision {vision.norm(dim=1).mean():.2f}, projector {projected.norm(dim=1).mean():.2f}, '
          f'token embeddings {embeddings.norm(dim=1).mean():.3f}')
    n = 300 * 9
    for features, name in [(vision, 'vision'), (projected, 'projector')]:
        z = (features - features[:n].mean(0)) / (features[:n].std(0) + 1e-6)
        w = torch.zeros(z.shape[1], len(categories) + 1, requires_grad=True)
        b = torch.zeros(len(categories) + 1, requires_grad=True)
        optimiser = torch.optim.Adam([w, b], lr=0.05)
        for _ in range(500):
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(z[:n] @ w + b, labels[:n]) + 1e-3 * (w ** 2).sum()
            loss.backward()
            optimiser.step()
        correct = ((z[n:] @ w + b).argmax(1) == labels[n:]).float()
        objects = labels[n:] != len(categories)
        centres = torch.stack([features[labels == c].mean(0) for c in range(len(categories) + 1)])
        within = torch.stack([(features[labels == c] - centres[c]).norm(dim=1).mean() for c in range(len(categories) + 1)]).mean()
        between = torch.cdist(centres[:-1], centres[:-1]).sum() / (len(categories) * (len(categories) - 1))
        print(f'{name}: probe accuracy {correct.mean():.3f} (objects {correct[objects].mean():.3f}); '
              f'spread within a category {within:.2f}, between categories {between:.2f}')


def losses(model, tokenizer, world, size, count=20):
    captions = [json.loads(line) for line in open(world + '/captions.jsonl')]
    prompt = tokenizer.encode("<|im_start|>user\n<image>\nDescribe this image in detail.<|im_end|>\n<|im_start|>assistant\n",
                              add_special_tokens=False).ids
    image_tokens = model.config.vision_config.image_size // model.config.vision_config.patch_size
    image_tokens *= image_tokens

    def nll(caption, image):
        answer = tokenizer.encode(caption['description'] + "<|im_end|>", add_special_tokens=False).ids
        ids = torch.tensor([prompt + answer])
        with torch.no_grad():
            logits = model(input_ids=ids, pixel_values=image, attention_mask=torch.ones_like(ids)).logits[0]
        start = len(prompt) + image_tokens - 1
        log_probs = torch.log_softmax(logits[start - 1:-1], -1)
        return -log_probs[torch.arange(len(answer)), torch.tensor(answer)], answer

    right = other = 0.0
    for i, caption in enumerate(captions[:count]):
        values, answer = nll(caption, pixels(world + '/images/' + caption['image'], size))
        right += values.mean().item()
        other += nll(caption, pixels(world + '/images/' + captions[(i + 7) % len(captions)]['image'], size))[0].mean().item()
        if i < 2:
            print('costly answer tokens:', [(tokenizer.id_to_token(t), round(v.item(), 2)) for t, v in zip(answer, values) if v > 0.5])
    print(f'description loss: right image {right / count:.3f}, another scene\'s image {other / count:.3f}')


def main():
    directory, held_out, training = sys.argv[1:4]
    model = LlavaForConditionalGeneration.from_pretrained(directory, torch_dtype=torch.float32).eval()
    size = model.config.vision_config.image_size
    probes(model, held_out, size)
    losses(model, Tokenizer.from_file(directory + '/tokenizer.json'), training, size)


if __name__ == '__main__':
    main()
