"""Learning rate per optimizer step (src/core/train/schedule.ts): linear warm-up, then a cosine decay to 0."""
from __future__ import annotations

import math


def cosine_with_warmup(base_lr: float, step: int, total_steps: int, warmup_steps: int) -> float:
    if step < warmup_steps:
        return (base_lr * (step + 1)) / warmup_steps
    decay_steps = total_steps - warmup_steps
    if decay_steps <= 0:
        return base_lr
    return 0.5 * (1 + math.cos((math.pi * (step - warmup_steps)) / decay_steps)) * base_lr


def js_round(x: float) -> int:
    """Math.round: halves go up (Python's round() goes to even)."""
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def warmup_steps(total_steps: int, fraction: float) -> int:
    return js_round(total_steps * fraction)
