"""
`analyze --detail --view-pairs --temperatures` (views.py): the temperature sweep against a float64
softmax over every text, the drawn pairs' rows against the input, the same file from 1 and 2 gloo
ranks, and one-line refusals of the options without a detail file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from safetensors_reader import read_tensors
from test_analyze_command import analyze as run_analyze, result_of

from embedding_lens import calibration, views
from embedding_lens.errors import CancelledError
from embedding_lens.rng import mulberry32, sample_indices


def reference_ece(x: torch.Tensor, y: torch.Tensor, owner: torch.Tensor, tau: float) -> float:
    """Every image query's softmax over every text in float64; right when the argmax is its own caption."""
    s = x.double() @ y.double().T
    confidence, guess = torch.softmax(s / tau, dim=1).max(1)
    return calibration.expected_calibration_error(confidence, owner[guess] == torch.arange(len(x)))


@pytest.mark.parametrize("captions", [1, 3])
def test_the_sweep_is_the_ece_of_a_float64_softmax(captions: int) -> None:
    g = torch.Generator().manual_seed(5 + captions)
    ni = 150
    owner = torch.arange(ni).repeat(captions)[torch.randperm(ni * captions, generator=g)]
    x = torch.nn.functional.normalize(torch.randn(ni, 16, generator=g), dim=1)
    y = torch.nn.functional.normalize(x[owner] + 0.7 * torch.randn(len(owner), 16, generator=g), dim=1)
    taus = [0.003, 0.01, 0.1, 1.0]
    sweep = views.temperature_sweep(x, y, owner, taus, calibration.ECE_BINS)
    assert sweep.queries == ni
    for tau, ece in zip(taus, sweep.ece):
        assert abs(ece - reference_ece(x, y, owner, tau)) < 1e-5, tau


def test_beyond_the_budget_a_seeded_sample_of_queries() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.nn.functional.normalize(torch.randn(3000, 8, generator=g), dim=1)
    y = torch.nn.functional.normalize(x + 0.5 * torch.randn(3000, 8, generator=g), dim=1)
    taus = [0.01 * (k + 1) for k in range(20)]
    # 1e8 / (3000 x 20) = 1666 queries of 3000: the ones temperatureSweep.ts draws with its seed.
    sweep = views.temperature_sweep(x, y, None, taus, calibration.ECE_BINS)
    assert sweep.queries == 1666
    q = torch.tensor(sample_indices(3000, 1666, mulberry32(views.SWEEP_SEED)))
    for tau, ece in zip(taus, sweep.ece):
        s = x[q].double() @ y.double().T
        confidence, guess = torch.softmax(s / tau, dim=1).max(1)
        assert abs(ece - calibration.expected_calibration_error(confidence, guess == q)) < 1e-5, tau


def test_view_pairs_are_every_pair_up_to_the_count_and_a_seeded_sample_beyond() -> None:
    assert views.view_pairs(5, 10) == [0, 1, 2, 3, 4]
    drawn = views.view_pairs(1000, 10)
    assert len(drawn) == len(set(drawn)) == 10 and drawn == sorted(drawn) and drawn == views.view_pairs(1000, 10)


@pytest.mark.parametrize("name,ni,nt", [("pairs.npy", 2500, 2500), ("captions.npz", 1100, 2400)])
def test_two_ranks_write_the_views_of_one(shards: Path, tmp_path: Path, name: str, ni: int, nt: int) -> None:
    files = {k: tmp_path / f"{k}.safetensors" for k in (1, 2)}
    extra = ["--view-pairs", "700", "--temperatures", "0.005,0.01,0.05"]
    for k in (1, 2):
        result_of(run_analyze([str(shards / name), "--detail", str(files[k]), *extra], nproc=k))
    assert files[1].read_bytes() == files[2].read_bytes()
    detail = read_tensors(files[1])
    drawn = detail["view_pairs"]
    assert drawn.dtype == np.int32 and drawn.tolist() == views.view_pairs(nt, 700)
    assert detail["view_image"].shape == detail["view_text"].shape == (700, 16)
    assert detail["temperature_ece"].shape == (3,) and detail["temperature_queries"].tolist() == [ni]


@pytest.mark.parametrize("args,message", [
    (["--view-pairs", "10"], "--view-pairs and --temperatures write to the --detail file: give one"),
    (["--temperatures", "0.01,x", "--detail", "d.safetensors"], "--temperatures takes positive numbers like 0.01,0.1, got 0.01,x"),
    (["--view-pairs", "-1", "--detail", "d.safetensors"], "--view-pairs takes a count of pairs, got -1"),
])
def test_bad_options_are_one_line(shards: Path, args: list[str], message: str) -> None:
    run = run_analyze([str(shards / "pairs.npy"), *args])
    assert run.code == 2
    assert run.stderr.strip().splitlines()[-1].endswith(message)


def test_a_stop_between_query_blocks_cancels_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "SWEEP_BLOCK_SCORES", 40 * 50)
    x = torch.nn.functional.normalize(torch.randn(200, 4, generator=torch.Generator().manual_seed(2)), dim=1)
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) == 2

    with pytest.raises(CancelledError):
        views.temperature_sweep(x[:50], x, None, [0.01], calibration.ECE_BINS, stop)
    assert len(asked) == 2
