"""
The analysis pass on CUDA (its tile reductions compiled) against the CPU's eager pass
(scripts/gpu-check-torch.sh runs the timings): every metric to 1e-4 and the ranks exactly, on one caption per image and on several, with tiles small enough
that the staircase crosses tile edges; and the zero-shot pass of a file with classes, its image blocks on CUDA.
"""
from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from embedding_lens import metrics, zero_shot  # noqa: E402
from embedding_lens.gram_pass import Tiling  # noqa: E402


def flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)):
            out[f"{prefix}{k}"] = v
    return out


def check(name: str, x: torch.Tensor, y: torch.Tensor, owner: "torch.Tensor | None") -> bool:
    cpu = flat(metrics.analyze(x, y, owner))
    notes: list[str] = []
    gpu = flat(metrics.analyze(x, y, owner, device=torch.device("cuda"), note=notes.append))
    bad = [k for k in cpu if abs(cpu[k] - gpu[k]) > (0 if k.startswith(("i2t", "t2i")) else 1e-4)]
    tiles = "compiled tile reductions" if not notes else f"eager tile reductions ({notes[0]})"
    print(f"{name} ({tiles}): {'agree' if not bad else 'DIFFER ' + ', '.join(f'{k} cpu {cpu[k]} cuda {gpu[k]}' for k in bad)}", flush=True)
    return not bad


g = torch.Generator().manual_seed(0)
x = torch.randn(3000, 64, generator=g)
y = x + 0.9 * torch.randn(3000, 64, generator=g)
owner = torch.randint(0, 1000, (3000,), generator=g)
owner[:1000] = torch.arange(1000)
ok = check("pairs", x, y, None)
ok &= check("captions", x[:1000], x[owner] + torch.randn(3000, 64, generator=g), owner)
metrics.GPU_TILE = 512
ok &= check("pairs, 512 tiles", x, y, None)
labels = torch.randint(0, 40, (3000,), generator=g)
prompts = torch.randn(40, 3, 64, generator=g)
on_cpu = zero_shot.zero_shot(x, labels, prompts)
on_cuda = zero_shot.zero_shot(x, labels, prompts, device=torch.device("cuda"))
differ = [k for k in on_cpu if on_cpu[k] != on_cuda[k] and not (isinstance(on_cpu[k], float) and abs(on_cpu[k] - on_cuda[k]) <= 1e-6)]
print(f"zero-shot: {'agree' if not differ else 'DIFFER ' + ', '.join(f'{k} cpu {on_cpu[k]} cuda {on_cuda[k]}' for k in differ)}", flush=True)
ok &= not differ
sys.exit(0 if ok else 1)
