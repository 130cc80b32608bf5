"""The ports of the TS generators: their 32-bit arithmetic and the draws the trainer builds on them."""
from __future__ import annotations

import math

from embedding_lens.rng import PairSampler, draw_lambdas, epoch_rng, imul, initial_weights, mulberry32, sample_beta
from embedding_lens.schedule import cosine_with_warmup, js_round, warmup_steps


def test_imul_wraps_like_math_imul() -> None:
    # Math.imul(0xffffffff, 5) === -5; Math.imul(0x7fffffff, 2) === -2 (as unsigned bits here).
    assert imul(0xFFFFFFFF, 5) == (-5) & 0xFFFFFFFF
    assert imul(0x7FFFFFFF, 2) == (-2) & 0xFFFFFFFF


def test_mulberry32_is_uniform_and_repeats() -> None:
    a, b = mulberry32(7), mulberry32(7)
    values = [a() for _ in range(20000)]
    assert values[:100] == [b() for _ in range(100)]
    assert all(0 <= v < 1 for v in values)
    assert abs(sum(values) / len(values) - 0.5) < 0.01
    assert mulberry32(7)() != mulberry32(8)()


def test_beta_draws_have_the_right_mean_and_spread() -> None:
    rng = mulberry32(1)
    draws = [sample_beta(rng, 0.5, 0.5) for _ in range(20000)]
    mean = sum(draws) / len(draws)
    var = sum((d - mean) ** 2 for d in draws) / len(draws)
    assert abs(mean - 0.5) < 0.01
    assert abs(var - 0.125) < 0.005  # Beta(a, a): 1 / (4 (2a + 1))


def test_lambdas_only_for_weighted_terms_in_fixed_order() -> None:
    drawn = draw_lambdas(epoch_rng(3, 0, 1), 0.5, {"m2mix": 0.1, "vmix": 0, "lmix": 0.05, "vlmix": 0})
    assert list(drawn) == ["m2mix", "lmix"]


def test_pair_sampler_draws_one_caption_per_image() -> None:
    sampler = PairSampler([[0, 1], [2], [], [3, 4, 5]])
    assert sampler.size == 3
    images, texts = sampler.epoch(mulberry32(5))
    assert sorted(images) == [0, 1, 3]
    owner = {0: 0, 1: 0, 2: 1, 3: 3, 4: 3, 5: 3}
    assert [owner[t] for t in texts] == images


def test_initial_weights_identity_and_projection() -> None:
    assert initial_weights(3, 3, 9) == [1, 0, 0, 0, 1, 0, 0, 0, 1]
    w = initial_weights(64, 16, 9)
    assert abs(sum(v * v for v in w) / len(w) - 1 / 16) < 0.01


def test_schedule_rounds_halves_up_like_math_round() -> None:
    assert js_round(2.5) == 3 and js_round(0.5) == 1 and js_round(0.49) == 0
    assert warmup_steps(5, 0.1) == 1  # Python's round(0.5) would give 0
    assert cosine_with_warmup(1.0, 0, 10, 2) == 0.5
    assert cosine_with_warmup(1.0, 2, 10, 2) == 1.0
    assert math.isclose(cosine_with_warmup(1.0, 6, 10, 2), 0.5)
