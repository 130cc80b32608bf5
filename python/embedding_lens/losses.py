"""
The contrastive losses of METRICS.md ("Losses") with autograd, term for term what
src/core/train/termPlan.ts and losses.ts compute: CLIP InfoNCE, m2-Mix (summed cross-entropies at
tau_m), V-Mix and L-Mix (mixed with the reversed batch, soft targets lambda I + (1 - lambda) J),
VL-Mix (targets (I + J) / 2) and their weighted sum (m3-Mix). Inputs are unit rows; the loss runs
in float32 whatever the model's precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch

from .geodesic import geodesic_mix
from .rng import MIX_TERMS

#: The order terms are reported in (termPlan.ts's lossTerms).
LOSS_TERMS: tuple[str, ...] = ("clip", *MIX_TERMS)


@dataclass
class LossResult:
    #: The weighted sum, the one optimised.
    loss: torch.Tensor
    #: Each computed term's unweighted value, in LOSS_TERMS order.
    components: dict[str, torch.Tensor]


def soft_cross_entropy(a: torch.Tensor, b: torch.Tensor, tau: float, alpha: float, beta: float) -> torch.Tensor:
    """
    (CE(S, T) + CE(S^T, T^T)) / 2 of S = a b^T / tau against T = alpha I + beta J (J the reversed
    identity), each CE the mean over rows of logsumexp - sum_j S_ij T_ij (softmaxCrossEntropy.ts).
    """
    s = (a @ b.T) / tau
    n = s.shape[0]
    rows = torch.arange(n, device=s.device)
    targets = torch.zeros_like(s)
    targets[rows, rows] += alpha
    targets[rows, n - 1 - rows] += beta
    at_targets = s * targets
    by_rows = (torch.logsumexp(s, dim=1) - at_targets.sum(1)).mean()
    by_columns = (torch.logsumexp(s, dim=0) - at_targets.sum(0)).mean()
    return (by_rows + by_columns) / 2


def m2mix_term(x: torch.Tensor, y: torch.Tensor, n: torch.Tensor, tau_m: float) -> torch.Tensor:
    """
    m2-Mix: image and text rows keep their positive x_i . y_i on the diagonal; every off-diagonal
    logit is a similarity to a mixed pair n_j. The two cross-entropies are summed (METRICS.md).
    """
    b = x.shape[0]
    eye = torch.eye(b, dtype=torch.bool, device=x.device)
    positive = (x * y).sum(1)
    total = x.new_zeros(())
    for q in (x, y):
        logits = torch.where(eye, torch.diag_embed(positive), q @ n.T) / tau_m
        total = total + (torch.logsumexp(logits, dim=1) - positive / tau_m).mean()
    return total


def m3mix_loss(x: torch.Tensor, y: torch.Tensor, tau: float, tau_m: float,
               weights: Mapping[str, float], lambdas: Mapping[str, float]) -> LossResult:
    """L_clip + sum of w_t L_t over the mixup terms with a weight; `lambdas` holds each weighted term's draw."""
    x, y = x.float(), y.float()
    rx, ry = x.flip(0), y.flip(0)
    components: dict[str, torch.Tensor] = {"clip": soft_cross_entropy(x, y, tau, 1.0, 0.0)}
    if weights.get("m2mix", 0):
        components["m2mix"] = m2mix_term(x, y, geodesic_mix(x, y, lambdas["m2mix"]), tau_m)
    if weights.get("vmix", 0):
        lam = lambdas["vmix"]
        components["vmix"] = soft_cross_entropy(geodesic_mix(x, rx, lam), y, tau, lam, 1 - lam)
    if weights.get("lmix", 0):
        lam = lambdas["lmix"]
        components["lmix"] = soft_cross_entropy(x, geodesic_mix(y, ry, lam), tau, lam, 1 - lam)
    if weights.get("vlmix", 0):
        lam = lambdas["vlmix"]
        # Normalised targets (I + J) / 2; the reference code's I + J weighs this term twice.
        components["vlmix"] = soft_cross_entropy(geodesic_mix(x, rx, lam), geodesic_mix(y, ry, lam), tau, 0.5, 0.5)
    loss = components["clip"]
    for term in MIX_TERMS:
        if term in components:
            loss = loss + components[term] * weights[term]
    return LossResult(loss, {t: components[t] for t in LOSS_TERMS if t in components})
