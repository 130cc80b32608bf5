"""ECE and its reliability bins as METRICS.md and reliability.ts's calibration() define them."""
from __future__ import annotations

import torch

ECE_BINS = 15


def reliability_bins(confidence: torch.Tensor, correct: torch.Tensor, bins: int = ECE_BINS) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """
    Count, mean confidence and accuracy (0 when empty) of equal-width bins, float64:
    bin = min(bins - 1, floor(confidence * bins)).
    """
    which = torch.clamp((confidence * bins).floor().to(torch.int64), max=bins - 1)
    count = torch.zeros(bins, dtype=torch.float64, device=confidence.device).index_add_(0, which, torch.ones_like(confidence, dtype=torch.float64))
    conf = torch.zeros_like(count).index_add_(0, which, confidence.to(torch.float64))
    hits = torch.zeros_like(count).index_add_(0, which, correct.to(torch.float64))
    filled, empty = count > 0, torch.zeros_like(count)
    return count, torch.where(filled, conf / count.clamp(min=1), empty), torch.where(filled, hits / count.clamp(min=1), empty)


def expected_calibration_error(confidence: torch.Tensor, correct: torch.Tensor, bins: int = ECE_BINS) -> float:
    count, conf, accuracy = reliability_bins(confidence, correct, bins)
    return float((count / confidence.numel() * (accuracy - conf).abs()).sum())
