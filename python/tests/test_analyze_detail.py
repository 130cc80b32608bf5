"""
`analyze --detail`: the per-query arrays of the TypeScript AnalysisDetail against a float64 torch
reading of METRICS.md, the same file from 1 and 2 gloo ranks, and an out-of-memory retry that every
rank takes together (testhooks.py's EMBEDDING_LENS_TEST_OOM_RANK).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch

from conftest import pair_data
from safetensors_reader import read_tensors
from test_analyze_command import analyze as run_analyze, assert_same, result_of

from embedding_lens import calibration, metrics, testhooks
from embedding_lens.gram_pass import Tiling

SHAPES = {"positive": ("float32", "nt"), "hardest_negative_i2t": ("float32", "ni"), "hardest_negative_t2i": ("float32", "nt"),
          "ranks_i2t": ("int32", "ni"), "ranks_t2i": ("int32", "nt"), "reliability_count": ("float64", "bins"),
          "reliability_confidence": ("float64", "bins"), "reliability_accuracy": ("float64", "bins")}


def reference(x: torch.Tensor, y: torch.Tensor, owner: torch.Tensor, tau: float = 0.01) -> dict[str, np.ndarray]:
    """Every detail array straight from its definition, N x N in float64."""
    x = x.double() / x.double().norm(dim=1, keepdim=True)
    y = y.double() / y.double().norm(dim=1, keepdim=True)
    ni, nt = len(x), len(y)
    s = x @ y.T
    mine = owner[None, :] == torch.arange(ni)[:, None]
    positive = s[owner, torch.arange(nt)]
    best_own = s.masked_fill(~mine, -np.inf).max(1).values
    p = torch.softmax(s / tau, dim=1)
    confidence, guess = p.max(1)
    correct = (owner[guess] == torch.arange(ni)).double()
    bins = torch.clamp((confidence * calibration.ECE_BINS).floor().long(), max=calibration.ECE_BINS - 1)
    count = torch.bincount(bins, minlength=calibration.ECE_BINS).double()
    conf_sum = torch.zeros(calibration.ECE_BINS, dtype=torch.float64).index_add_(0, bins, confidence)
    hit_sum = torch.zeros(calibration.ECE_BINS, dtype=torch.float64).index_add_(0, bins, correct)
    return {
        "positive": positive.numpy(),
        "hardest_negative_i2t": s.masked_fill(mine, -np.inf).max(1).values.numpy(),
        "hardest_negative_t2i": s.masked_fill(mine, -np.inf).max(0).values.numpy(),
        "ranks_i2t": (s > best_own[:, None]).sum(1).numpy(),
        "ranks_t2i": (s > positive[None, :]).sum(0).numpy(),
        "reliability_count": count.numpy(),
        "reliability_confidence": torch.where(count > 0, conf_sum / count.clamp(min=1), torch.zeros_like(count)).numpy(),
        "reliability_accuracy": torch.where(count > 0, hit_sum / count.clamp(min=1), torch.zeros_like(count)).numpy(),
    }


def check_shapes(detail: dict[str, np.ndarray], ni: int, nt: int) -> None:
    sizes = {"ni": ni, "nt": nt, "bins": calibration.ECE_BINS}
    assert sorted(detail) == sorted(SHAPES)
    for name, (dtype, size) in SHAPES.items():
        assert str(detail[name].dtype) == dtype and detail[name].shape == (sizes[size],), name


def ece_of(detail: dict[str, np.ndarray]) -> float:
    """METRICS.md's ECE from the bins alone, as reliability.ts sums it."""
    count = detail["reliability_count"]
    return float(sum(c / count.sum() * abs(a - f) for c, a, f in zip(count, detail["reliability_accuracy"], detail["reliability_confidence"])))


@pytest.mark.parametrize("devices", [1, 2])
@pytest.mark.parametrize("captions", [None, 3])
def test_detail_matches_a_float64_reference(monkeypatch: pytest.MonkeyPatch, devices: int, captions: Optional[int]) -> None:
    # Tiles of 7 x 5: many row blocks dealt to the workers, a staircase of true pairs crossing tile edges.
    monkeypatch.setattr(metrics, "CPU_TILING", Tiling(7, 5))
    g = torch.Generator().manual_seed(11 + (captions or 0))
    ni = 37
    owner = torch.arange(ni) if captions is None else torch.cat([torch.arange(ni), torch.randint(0, ni, (ni * (captions - 1),), generator=g)])
    owner = owner[torch.randperm(len(owner), generator=g)] if captions else owner
    x = torch.randn(ni, 12, generator=g)
    y = x[owner] + 0.8 * torch.randn(len(owner), 12, generator=g)
    detail: dict[str, torch.Tensor] = {}
    result = metrics.analyze(x, y, None if captions is None else owner, devices=[torch.device("cpu")] * devices, detail=detail)
    got = {k: v.numpy() for k, v in detail.items()}
    want = reference(x, y, owner)
    check_shapes(got, ni, len(owner))
    for name in ("positive", "hardest_negative_i2t", "hardest_negative_t2i"):
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-6, err_msg=name)
    for name in ("ranks_i2t", "ranks_t2i", "reliability_count"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    np.testing.assert_allclose(got["reliability_confidence"], want["reliability_confidence"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(got["reliability_accuracy"], want["reliability_accuracy"], rtol=0, atol=1e-12)
    assert got["reliability_count"].sum() == ni
    # The JSON's ECE is the one of these bins.
    assert abs(ece_of(got) - result["ece"]) <= 1e-12


@pytest.mark.parametrize("name,ni,nt", [("pairs.npy", 2500, 2500), ("captions.npz", 1100, 2400)])
def test_two_ranks_write_the_file_of_one(shards: Path, tmp_path: Path, name: str, ni: int, nt: int) -> None:
    files = {k: tmp_path / f"{k}.safetensors" for k in (1, 2)}
    results = {k: result_of(run_analyze([str(shards / name), "--detail", str(files[k])], nproc=k)) for k in (1, 2)}
    assert_same(results[1], results[2])
    assert files[1].read_bytes() == files[2].read_bytes()
    detail = read_tensors(files[1])
    check_shapes(detail, ni, nt)
    assert abs(ece_of(detail) - results[1]["ece"]) <= 1e-12
    assert sorted(f.name for f in tmp_path.iterdir()) == ["1.safetensors", "2.safetensors"], "a temporary file was left behind"


def test_every_rank_retries_with_smaller_tiles_when_one_runs_out_of_memory(shards: Path, tmp_path: Path) -> None:
    half = Tiling(metrics.CPU_TILING.rows // 2, metrics.CPU_TILING.cols // 2)
    out = tmp_path / "detail.safetensors"
    run = run_analyze([str(shards / "pairs.npy"), "--detail", str(out)], nproc=2,
                      env={"EMBEDDING_LENS_TEST_OOM_RANK": "1", "EMBEDDING_LENS_TEST_OOM_TILE": str(half.rows)})
    got = result_of(run)
    assert [e["message"] for e in run.of("note")] == [f"out of device memory: analysing again with tiles of {half.rows} x {half.cols} on every rank"]
    # The run without the fault, on the tiles the retry ended with (other tiles move float32 sums by ~1e-7).
    data = torch.from_numpy(np.load(shards / "pairs.npy"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        metrics.CPU_TILING, default = half, metrics.CPU_TILING
        detail: dict[str, torch.Tensor] = {}
        want = metrics.analyze(data[0], data[1], detail=detail)
    finally:
        metrics.CPU_TILING = default
        torch.set_num_threads(threads)
    assert_same(want, got)
    for key in ("uniformity", "alignment", "ece", "ece_t2i", "modality_gap"):
        assert abs(got[key] - want[key]) <= 1e-12, key
    written = read_tensors(out)
    for name, value in detail.items():
        np.testing.assert_array_equal(written[name], value.numpy(), err_msg=name)


def test_running_out_at_the_smallest_tiles_fails_in_one_line(shards: Path) -> None:
    run = run_analyze([str(shards / "pairs.npy")], nproc=2, env={"EMBEDDING_LENS_TEST_OOM_RANK": "1"})
    assert run.code != 0 and not run.of("analysis")
    errors = run.of("error")
    assert len(errors) == 1 and errors[0]["rank"] == 1 and "out of memory" in errors[0]["message"], run.events
    assert run.of("note")[-1]["message"].endswith(f"tiles of {metrics.MIN_RETRY_TILE} x {metrics.MIN_RETRY_TILE * metrics.CPU_TILING.cols // metrics.CPU_TILING.rows} on every rank")


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(rank: int, edge: int) -> None:
        raise RuntimeError("something else broke")

    monkeypatch.setattr(testhooks, "maybe_run_out_of_memory", broken)
    notes: list[str] = []
    with pytest.raises(RuntimeError, match="something else broke"):
        metrics.analyze(torch.randn(20, 4), torch.randn(20, 4), note=notes.append)
    assert notes == []
