"""
Bit-exact ports of the TypeScript seeded randomness (src/core/util/random.ts, train/betaSample.ts, the
trainer's per-epoch streams and pair order, train/step.ts's lambda draws), so the torch engine draws
the same batches and lambdas as the tfjs one from the same seed. JS numbers are doubles, as Python
floats are; the 32-bit integer operations (Math.imul, >>>, |0) are done modulo 2**32 here.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

Rng = Callable[[], float]

_MASK = 0xFFFFFFFF

#: The mixup terms in the fixed order their lambdas are drawn (src/core/train/termPlan.ts).
MIX_TERMS: tuple[str, ...] = ("m2mix", "vmix", "lmix", "vlmix")


def imul(a: int, b: int) -> int:
    """Math.imul as an unsigned 32-bit result (the bits are what later operations use)."""
    return ((a & _MASK) * (b & _MASK)) & _MASK


def mulberry32(seed: int) -> Rng:
    a = seed & _MASK

    def next_value() -> float:
        nonlocal a
        a = (a + 0x6D2B79F5) & _MASK
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & _MASK) ^ t
        return ((t ^ (t >> 14)) & _MASK) / 4294967296

    return next_value


def sample_indices(n: int, k: int, rng: Rng) -> list[int]:
    """metrics/sampled.ts's sampleIndices: k of range(n) by a partial Fisher-Yates shuffle, in increasing order."""
    # The swaps the dense shuffle would make, kept sparse: k << n at a million pairs.
    moved: dict[int, int] = {}
    chosen = []
    for i in range(k):
        j = i + math.floor(rng() * (n - i))
        at_i, at_j = moved.get(i, i), moved.get(j, j)
        moved[i], moved[j] = at_j, at_i
        chosen.append(at_j)
    return sorted(chosen)


def gaussian(rng: Rng) -> float:
    """Box-Muller, drawing u first and then the angle, as random.ts does."""
    u = 0.0
    while u == 0:
        u = rng()
    return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * rng())


def sample_gamma(rng: Rng, shape: float) -> float:
    """Marsaglia & Tsang; shapes below 1 use the boost Gamma(a) = Gamma(a + 1) U^(1/a)."""
    if shape < 1:
        u = 0.0
        while u == 0:
            u = rng()
        return sample_gamma(rng, shape + 1) * math.pow(u, 1 / shape)
    d = shape - 1 / 3
    c = 1 / math.sqrt(9 * d)
    while True:
        while True:
            x = gaussian(rng)
            v = 1 + c * x
            if v > 0:
                break
        v = v * v * v
        u = rng()
        if u < 1 - 0.0331 * math.pow(x, 4):
            return d * v
        if u > 0 and math.log(u) < 0.5 * x * x + d * (1 - v + math.log(v)):
            return d * v


def sample_beta(rng: Rng, a: float, b: float) -> float:
    g1 = sample_gamma(rng, a)
    g2 = sample_gamma(rng, b)
    total = g1 + g2
    return g1 / total if total > 0 else 0.5


def epoch_rng(seed: int, epoch: int, stream: int) -> Rng:
    """Stream 0 orders an epoch's pairs, stream 1 draws its lambdas (epochPairs.ts's epochRng)."""
    return mulberry32((seed ^ imul(epoch * 2 + stream + 1, 0x9E3779B1)) & _MASK)


def draw_lambdas(rng: Rng, beta: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Each weighted mixup term draws its own lambda, in MIX_TERMS order."""
    return {term: sample_beta(rng, beta, beta) for term in MIX_TERMS if weights[term] != 0}


class PairSampler:
    """Training pairs: one caption per image and epoch (epochPairs.ts's PairSampler)."""

    def __init__(self, captions_of: Sequence[Sequence[int]]) -> None:
        self.images: list[int] = [i for i, c in enumerate(captions_of) if len(c) > 0]
        self.captions: list[list[int]] = [list(captions_of[i]) for i in self.images]

    @property
    def size(self) -> int:
        return len(self.images)

    def epoch(self, rng: Rng) -> tuple[list[int], list[int]]:
        """A seeded Fisher-Yates shuffle, then one caption drawn per pair (even a pair's only one)."""
        order = list(range(self.size))
        for i in range(len(order) - 1, 0, -1):
            j = math.floor(rng() * (i + 1))
            order[i], order[j] = order[j], order[i]
        texts = [self.captions[p][math.floor(rng() * len(self.captions[p]))] for p in order]
        return [self.images[p] for p in order], texts


def initial_weights(d_in: int, d_out: int, seed: int) -> list[float]:
    """heads.ts's initialWeights, row-major d_in x d_out: identity when square, else N(0, 1/d_out)."""
    if d_in == d_out:
        return [1.0 if r == c else 0.0 for r in range(d_in) for c in range(d_out)]
    rng = mulberry32(seed)
    scale = 1 / math.sqrt(d_out)
    return [gaussian(rng) * scale for _ in range(d_in * d_out)]


#: heads.ts's createHeads gives each modality its own seed, so two equal-sized projections differ.
IMAGE_HEAD_SEED_XOR = 0x1A9E
TEXT_HEAD_SEED_XOR = 0x7E47
