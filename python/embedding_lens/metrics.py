"""
Every metric of METRICS.md in one blocked pass on the device, as src/core/metrics/analyze.ts computes
them: nothing N x N is held (blocks of rows of the Gram matrices), products in float32, sums in
float64. A query's true-pair score is read from the same product as its candidates, so ties count
against it exactly as they score. Returns the analyze JSON of the TypeScript engine.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import torch

from .errors import InputError

UNIFORMITY_T = 2.0
ECE_TAU = 0.01
ECE_BINS = 15
KS = (1, 5, 10)
#: Bytes one block of products may take (float32 scores and their float64 copy) on the CPU.
BLOCK_BUDGET_BYTES = 256 * 1024 * 1024
#: On a GPU, a quarter of its free memory up to this: a block of a few thousand rows keeps the
#: products large enough to fill the card (at a million columns, 256 MiB would be 21 rows a block).
GPU_BLOCK_BUDGET_BYTES = 16 * 1024**3


def _unit_rows(m: torch.Tensor, file: str, what: str) -> tuple[torch.Tensor, dict[str, float]]:
    """Unit rows in float32 and the input norms (float64), refusing rows that cannot be normalised."""
    m64 = m.to(torch.float64)
    norms = m64.norm(dim=1)
    bad = (~torch.isfinite(norms) | (norms <= 0)).nonzero()
    if len(bad):
        r = int(bad[0, 0])
        raise InputError(file, f"{what} row {r} has norm {float(norms[r])}")
    stats = {"min": float(norms.min()), "mean": float(norms.mean()), "max": float(norms.max())}
    return (m64 / norms[:, None]).to(torch.float32), stats


def _block_rows(columns: int, device: torch.device) -> int:
    budget = BLOCK_BUDGET_BYTES
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        budget = max(budget, min(GPU_BLOCK_BUDGET_BYTES, free // 4))
    return max(1, min(4096, budget // (12 * max(1, columns))))


def _retrieval(ranks: torch.Tensor) -> dict[str, float]:
    n = ranks.numel()
    s = ranks.sort().values
    mid = n // 2
    median = float(s[mid]) if n % 2 else (float(s[mid - 1]) + float(s[mid])) / 2
    stats: dict[str, float] = {}
    for k in KS:
        stats[f"R@{k}"] = 100 * int((ranks < k).sum()) / n
    stats["median_rank"] = median + 1
    stats["mean_rank"] = float(ranks.to(torch.float64).sum()) / n + 1
    return stats


def _ece(confidence: torch.Tensor, correct: torch.Tensor) -> float:
    bins = torch.clamp((confidence * ECE_BINS).floor().to(torch.int64), max=ECE_BINS - 1)
    n = confidence.numel()
    count = torch.zeros(ECE_BINS, dtype=torch.float64, device=confidence.device).index_add_(0, bins, torch.ones_like(confidence))
    conf = torch.zeros_like(count).index_add_(0, bins, confidence)
    hits = torch.zeros_like(count).index_add_(0, bins, correct.to(torch.float64))
    filled = count > 0
    gaps = torch.where(filled, (hits / count.clamp(min=1) - conf / count.clamp(min=1)).abs(), torch.zeros_like(count))
    return float((count / n * gaps).sum())


def _confidence(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """max_j softmax_j(s / tau) in float64 and its argmax (the first maximum, as the TS pass keeps it)."""
    s = scores.to(torch.float64)
    best = s.max(dim=1).values
    z = torch.exp((s - best[:, None]) / ECE_TAU).sum(1)
    return 1 / z, s.argmax(dim=1)


def _within_sum(z: torch.Tensor, rows: int) -> float:
    """Sum of exp(-t ||a - b||^2) over pairs i < j of the unit rows z (= exp(2t s - 2t))."""
    n = z.shape[0]
    # Summed on the device, read once: a read per block would wait for each block on a GPU.
    total = torch.zeros((), dtype=torch.float64, device=z.device)
    t2 = 2 * UNIFORMITY_T
    for a in range(0, n, rows):
        b = min(n, a + rows)
        s = (z[a:b] @ z[a:].T).to(torch.float64)
        upper = torch.ones(b - a, n - a, dtype=torch.bool, device=z.device).triu(1)
        total += torch.exp(t2 * s[upper] - t2).sum()
    return float(total)


def analyze(image: torch.Tensor, text: torch.Tensor, text_to_image: Optional[torch.Tensor] = None,
            file: str = "embeddings", device: Optional[torch.device] = None) -> dict[str, Any]:
    """The analyze JSON of (image, text) embeddings; text_to_image[k] is caption k's image (default: by row)."""
    device = device or image.device
    ni, nt = image.shape[0], text.shape[0]
    dim = image.shape[1]
    if text.shape[1] != dim:
        raise InputError(file, f"image dimension {dim} differs from text dimension {text.shape[1]}")
    if ni < 2 or nt < 2:
        raise InputError(file, f"needs at least 2 images and 2 texts, got {ni} and {nt}")
    if text_to_image is None:
        if ni != nt:
            raise InputError(file, f"{ni} images but {nt} texts and no text-to-image index")
        owner = torch.arange(nt, device=device)
    else:
        owner = text_to_image.to(device=device, dtype=torch.int64)
        if owner.numel() != nt:
            raise InputError(file, f"text-to-image index has {owner.numel()} entries for {nt} texts")
        if bool(((owner < 0) | (owner >= ni)).any()):
            k = int(((owner < 0) | (owner >= ni)).nonzero()[0, 0])
            raise InputError(file, f"text {k} points to image {int(owner[k])}, outside 0..{ni - 1}")
        counts = torch.bincount(owner, minlength=ni)
        if bool((counts == 0).any()):
            raise InputError(file, f"image {int((counts == 0).nonzero()[0, 0])} has no caption in the text-to-image index")
    x, image_norms = _unit_rows(image.to(device), file, "image")
    y, text_norms = _unit_rows(text.to(device), file, "text")
    t2 = 2 * UNIFORMITY_T

    # Image queries: rows of X Y^T.
    positive = torch.empty(nt, dtype=torch.float32, device=device)
    i2t_rank = torch.empty(ni, dtype=torch.int64, device=device)
    i2t_hardest = torch.empty(ni, dtype=torch.float32, device=device)
    i2t_conf = torch.empty(ni, dtype=torch.float64, device=device)
    i2t_correct = torch.empty(ni, dtype=torch.bool, device=device)
    cross = torch.zeros((), dtype=torch.float64, device=device)
    rows = _block_rows(max(ni, nt), device)
    for a in range(0, ni, rows):
        b = min(ni, a + rows)
        s = x[a:b] @ y.T
        mine = owner[None, :] == torch.arange(a, b, device=device)[:, None]
        pos = s.masked_fill(~mine, -math.inf)
        best_caption = pos.max(dim=1).values
        cols = mine.nonzero()
        positive[cols[:, 1]] = s[cols[:, 0], cols[:, 1]]
        i2t_rank[a:b] = (s > best_caption[:, None]).sum(1)
        i2t_hardest[a:b] = s.masked_fill(mine, -math.inf).max(dim=1).values
        conf, arg = _confidence(s)
        i2t_conf[a:b] = conf
        i2t_correct[a:b] = owner[arg] == torch.arange(a, b, device=device)
        cross += torch.exp(t2 * s.to(torch.float64) - t2).sum()

    # Text queries: rows of Y X^T, each caption ranking its own image.
    t2i_positive = torch.empty(nt, dtype=torch.float32, device=device)
    t2i_rank = torch.empty(nt, dtype=torch.int64, device=device)
    t2i_hardest = torch.empty(nt, dtype=torch.float32, device=device)
    t2i_conf = torch.empty(nt, dtype=torch.float64, device=device)
    t2i_correct = torch.empty(nt, dtype=torch.bool, device=device)
    for a in range(0, nt, rows):
        b = min(nt, a + rows)
        s = y[a:b] @ x.T
        own = owner[a:b]
        p = s.gather(1, own[:, None])
        t2i_positive[a:b] = p[:, 0]
        t2i_rank[a:b] = (s > p).sum(1)
        t2i_hardest[a:b] = s.scatter(1, own[:, None], -math.inf).max(dim=1).values
        conf, arg = _confidence(s)
        t2i_conf[a:b] = conf
        t2i_correct[a:b] = arg == own

    within_rows = _block_rows(max(ni, nt), device)
    exp_image = _within_sum(x, within_rows)
    exp_text = _within_sum(y, within_rows)

    pos64 = positive.to(torch.float64)
    alignment = float((2 - 2 * pos64).sum()) / nt
    hn_i2t = float((2 * i2t_hardest.to(torch.float64)[owner] - 2 * pos64).sum()) / nt
    hn_t2i = float((2 * t2i_hardest.to(torch.float64) - 2 * t2i_positive.to(torch.float64)).sum()) / nt
    gap = float((x.to(torch.float64).mean(0) - y.to(torch.float64).mean(0)).norm())

    def pairs(m: int) -> float:
        return m * (m - 1) / 2

    return {
        "n": nt,
        "dim": dim,
        "uniformity": math.log((exp_image + exp_text + float(cross)) / pairs(ni + nt)),
        "uniformity_image": math.log(exp_image / pairs(ni)),
        "uniformity_text": math.log(exp_text / pairs(nt)),
        "alignment": alignment,
        "hardest_negative_alignment_i2t": hn_i2t,
        "hardest_negative_alignment_t2i": hn_t2i,
        "modality_gap": gap,
        "i2t": _retrieval(i2t_rank),
        "t2i": _retrieval(t2i_rank),
        "ece": _ece(i2t_conf, i2t_correct),
        "ece_t2i": _ece(t2i_conf, t2i_correct),
        "ece_tau": ECE_TAU,
        "uniformity_t": UNIFORMITY_T,
        "n_image": ni,
        "n_text": nt,
        "input_norms": {"image": image_norms, "text": text_norms},
        "engine": "torch",
        "backend": str(device),
    }
