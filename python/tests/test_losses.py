"""losses.py and geodesic.py against METRICS.md read directly, in float64 numpy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from embedding_lens.errors import InputError
from embedding_lens.geodesic import geodesic_mix
from embedding_lens.losses import m3mix_loss
from embedding_lens.rng import PairSampler
from embedding_lens.trainer import plan_steps


def unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def mix(a: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    theta = np.arccos(np.clip((a * b).sum(1, keepdims=True), -1 + 1e-6, 1 - 1e-6))
    return np.sin(lam * theta) / np.sin(theta) * a + np.sin((1 - lam) * theta) / np.sin(theta) * b


def ce(logits: np.ndarray, targets: np.ndarray) -> float:
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return float(-(targets * logp).sum(1).mean())


def symmetric(a: np.ndarray, b: np.ndarray, tau: float, t: np.ndarray) -> float:
    s = a @ b.T / tau
    return (ce(s, t) + ce(s.T, t.T)) / 2


def reference(x: np.ndarray, y: np.ndarray, tau: float, tau_m: float, lam: dict[str, float]) -> dict[str, float]:
    b = len(x)
    eye, rev = np.eye(b), np.eye(b)[::-1]
    n = mix(x, y, lam["m2mix"])
    m2 = 0.0
    for q in (x, y):
        logits = q @ n.T
        np.fill_diagonal(logits, (x * y).sum(1))
        m2 += ce(logits / tau_m, eye)
    lv, ll, lvl = lam["vmix"], lam["lmix"], lam["vlmix"]
    return {
        "clip": symmetric(x, y, tau, eye),
        "m2mix": m2,
        "vmix": symmetric(mix(x, x[::-1], lv), y, tau, lv * eye + (1 - lv) * rev),
        "lmix": symmetric(x, mix(y, y[::-1], ll), tau, ll * eye + (1 - ll) * rev),
        "vlmix": symmetric(mix(x, x[::-1], lvl), mix(y, y[::-1], lvl), tau, (eye + rev) / 2),
    }


@pytest.mark.parametrize("batch", [6, 7])
def test_every_term_and_the_weighted_sum(batch: int) -> None:
    r = np.random.default_rng(batch)
    x = unit(r.standard_normal((batch, 5)))
    y = unit(x + 0.5 * r.standard_normal((batch, 5)))
    lam = {"m2mix": 0.3, "vmix": 0.8, "lmix": 0.15, "vlmix": 0.6}
    weights = {"m2mix": 0.1, "vmix": 0.05, "lmix": 0.2, "vlmix": 0.3}
    got = m3mix_loss(torch.from_numpy(x).float(), torch.from_numpy(y).float(), 0.1, 0.07, weights, lam)
    want = reference(x, y, 0.1, 0.07, lam)
    assert list(got.components) == ["clip", "m2mix", "vmix", "lmix", "vlmix"]
    for term, value in want.items():
        assert float(got.components[term]) == pytest.approx(value, rel=2e-5, abs=2e-5), term
    total = want["clip"] + sum(weights[t] * want[t] for t in weights)
    assert float(got.loss) == pytest.approx(total, rel=2e-5)


def test_terms_without_weight_are_not_computed() -> None:
    x = torch.nn.functional.normalize(torch.randn(4, 3), dim=1)
    got = m3mix_loss(x, x.flip(0), 0.01, 0.07, {"m2mix": 0.0, "vmix": 0.0, "lmix": 0.0, "vlmix": 0.0}, {})
    assert list(got.components) == ["clip"] and torch.equal(got.loss, got.components["clip"])


def test_geodesic_mix_endpoints_sphere_and_gradients() -> None:
    a = torch.nn.functional.normalize(torch.randn(5, 4, dtype=torch.float64), dim=1).requires_grad_()
    b = torch.nn.functional.normalize(torch.randn(5, 4, dtype=torch.float64), dim=1)
    assert torch.allclose(geodesic_mix(a, b, 1.0), a) and torch.allclose(geodesic_mix(a, b, 0.0), b)
    m = geodesic_mix(a, b, 0.3)
    assert torch.allclose(m.norm(dim=1), torch.ones(5, dtype=torch.float64))
    # Equal rows: the linear limit, finite gradients.
    same = geodesic_mix(a, a.detach().clone(), 0.3)
    same.sum().backward()
    assert torch.isfinite(a.grad).all() and torch.allclose(same, a)


def test_batches_are_refused_not_shrunk() -> None:
    config = {"train": ["t.npy"], "batchSize": 8, "epochs": 2, "warmup": 0.1}
    sampler = PairSampler([[i] for i in range(20)])
    plan = plan_steps(config, sampler, 2)
    assert (plan.steps_per_epoch, plan.total_steps, plan.warmup) == (2, 4, 0)
    with pytest.raises(InputError, match="8 does not split evenly over 3 ranks"):
        plan_steps(config, sampler, 3)
    with pytest.raises(InputError, match="batchSize 32 is larger than the 20 training pairs"):
        plan_steps({**config, "batchSize": 32}, sampler, 1)
    captions = PairSampler([[0, 1], [2], [3]])
    with pytest.raises(InputError, match="larger than the 3 pairs an epoch draws"):
        plan_steps({**config, "batchSize": 4}, captions, 1)
