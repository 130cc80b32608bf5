"""Geodesic mixup on the unit sphere (METRICS.md, "Geodesic mixup"), as src/core/train/mixup.ts computes it."""
from __future__ import annotations

from typing import Union

import torch

#: a.b is clamped into [-1 + eps, 1 - eps] so acos and 1/sin(theta) stay finite (theta >= ~1.4e-3).
CLAMP_EPS = 1e-6
#: Below this angle the coefficients are their theta -> 0 limits, lambda and 1 - lambda.
LINEAR_BELOW = 2e-3


def geodesic_mix(a: torch.Tensor, b: torch.Tensor, lam: Union[float, torch.Tensor]) -> torch.Tensor:
    """
    Row-wise m_lambda(a_i, b_i) = sin(lambda theta)/sin(theta) a + sin((1-lambda) theta)/sin(theta) b
    of unit rows; lambda = 1 gives a, 0 gives b. `lam` is one number or a (B, 1) column. Autograd
    gives what mixup.ts's hand-written backward gives: no gradient through a clamped dot product
    (clamp's own) nor through the coefficients where the linear limit holds (torch.where's).
    """
    dot = (a * b).sum(1, keepdim=True).clamp(-1 + CLAMP_EPS, 1 - CLAMP_EPS)
    theta = torch.acos(dot)
    sin = torch.sin(theta)
    la = torch.full_like(theta, lam) if isinstance(lam, float) else lam
    lb = 1 - la
    linear = theta < LINEAR_BELOW
    ca = torch.where(linear, la, torch.sin(theta * la) / sin)
    cb = torch.where(linear, lb, torch.sin(theta * lb) / sin)
    return ca * a + cb * b
