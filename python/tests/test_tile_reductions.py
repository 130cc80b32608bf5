"""
tile_reductions.py: the eager form against each reduction's definition (first maxima on ties), the
compiled form against the eager one (where torch.compile works: torch 2 with a C++ compiler), a
whole analysis either way, and the fallback when compiling fails.
"""
from __future__ import annotations

from typing import Any

import pytest
import torch

from embedding_lens import metrics, tile_reductions
from embedding_lens.tile_reductions import EAGER, kernels_for, reduce_tile, uniform_row_sums


def scores(rows: int, cols: int, seed: int) -> torch.Tensor:
    s = torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed)) * 0.3
    s[0, :] = s[0, 0]  # a row of ties
    s[:, -1] = s[-1, -1]  # a column of ties
    return s


def definitions(s: torch.Tensor, best: torch.Tensor, true: torch.Tensor, inv_tau: float, t2: float) -> list[torch.Tensor]:
    d = s.double()
    row_max, row_first = s.max(1)
    col_max, col_first = s.max(0)
    return [row_max, row_first, col_max, col_first, torch.exp((d - row_max.double()[:, None]) * inv_tau).sum(1),
            torch.exp((d - col_max.double()[None, :]) * inv_tau).sum(0), (s > best[:, None]).sum(1), (s > true[None, :]).sum(0),
            torch.exp(d * t2 - t2).sum(1)]


def assert_same(got: Any, want: Any, rtol: float) -> None:
    for name, a, b in zip(tile_reductions.TileReductions._fields, got, want):
        if "exp" in name or "uniform" in name:
            torch.testing.assert_close(a.double(), b.double(), rtol=rtol, atol=0, msg=name)
        else:
            assert torch.equal(a.double(), b.double()), name


@pytest.mark.parametrize("shape", [(37, 53), (1, 9), (9, 1), (300, 700)])
def test_the_eager_form_is_each_definition(shape: tuple[int, int]) -> None:
    s = scores(*shape, seed=shape[0])
    best, true = s.mean(1), s.mean(0)
    assert_same(reduce_tile(s, best, true, 100.0, 4.0), definitions(s, best, true, 100.0, 4.0), rtol=1e-5)
    torch.testing.assert_close(uniform_row_sums(s.clone(), 4.0).double(), torch.exp(s.double() * 4 - 4).sum(1), rtol=1e-5, atol=0)


def compiled_or_skip() -> tile_reductions.TileKernels:
    if not hasattr(torch, "compile"):
        pytest.skip(f"torch {torch.__version__} has no torch.compile")
    notes: list[str] = []
    kernels = kernels_for(torch.device("cpu"), notes.append, force_compile=True)
    s = scores(4, 4, 0)
    kernels.reduce(s, s.mean(1), s.mean(0), 100.0, 4.0)
    if notes:
        pytest.skip(f"torch.compile does not work here: {notes[0]}")
    return kernels


@pytest.mark.parametrize("shape", [(37, 53), (1, 9), (9, 1), (300, 700)])
def test_the_compiled_form_equals_the_eager_one(shape: tuple[int, int]) -> None:
    kernels = compiled_or_skip()
    s = scores(*shape, seed=shape[1])
    best, true = s.mean(1), s.mean(0)
    assert_same(kernels.reduce(s, best, true, 100.0, 4.0), reduce_tile(s, best, true, 100.0, 4.0), rtol=1e-5)
    torch.testing.assert_close(kernels.uniform_row_sums(s.clone(), 4.0), uniform_row_sums(s.clone(), 4.0), rtol=1e-5, atol=0)


@pytest.mark.parametrize("captions", [None, 3])
def test_an_analysis_with_compiled_tiles_equals_the_eager_one(monkeypatch: pytest.MonkeyPatch, captions: Any) -> None:
    kernels = compiled_or_skip()
    monkeypatch.setattr(metrics, "CPU_TILING", metrics.Tiling(64, 96))
    g = torch.Generator().manual_seed(3)
    ni = 300
    owner = None if captions is None else torch.arange(ni).repeat(captions)[torch.randperm(ni * captions, generator=g)]
    x = torch.randn(ni, 16, generator=g)
    y = (x if owner is None else x[owner]) + torch.randn(ni * (captions or 1), 16, generator=g)
    details: list[dict[str, torch.Tensor]] = [{}, {}]
    eager = metrics.analyze(x, y, owner, detail=details[0], kernels=EAGER)
    compiled = metrics.analyze(x, y, owner, detail=details[1], kernels=kernels)
    assert eager["i2t"] == compiled["i2t"] and eager["t2i"] == compiled["t2i"]
    for key in ("uniformity", "uniformity_image", "uniformity_text", "ece", "ece_t2i", "alignment", "hardest_negative_alignment_i2t"):
        assert abs(eager[key] - compiled[key]) <= 1e-6, key
    for name in ("ranks_i2t", "ranks_t2i", "positive", "hardest_negative_i2t", "hardest_negative_t2i"):
        assert torch.equal(details[0][name], details[1][name]), name


def compiles_to_an_error(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """torch.compile (present or not) gives functions that raise RuntimeError(message) when called."""
    def failing(*_args: Any) -> Any:
        raise RuntimeError(message)

    monkeypatch.setattr(torch, "compile", lambda _fn, **_options: failing, raising=False)


def test_a_compile_failure_falls_back_to_the_eager_form_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    compiles_to_an_error(monkeypatch, "no working C++ compiler\nfound")
    notes: list[str] = []
    kernels = kernels_for(torch.device("cpu"), notes.append, force_compile=True)
    s = scores(20, 30, 1)
    for _ in range(2):
        assert_same(kernels.reduce(s, s.mean(1), s.mean(0), 100.0, 4.0), reduce_tile(s, s.mean(1), s.mean(0), 100.0, 4.0), rtol=0)
    assert notes == ["torch.compile failed (RuntimeError: no working C++ compiler found); the tile reductions run uncompiled"]


def test_out_of_memory_is_not_a_compile_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    compiles_to_an_error(monkeypatch, "CUDA out of memory. Tried to allocate 2.00 GiB")
    kernels = kernels_for(torch.device("cpu"), force_compile=True)
    s = scores(4, 4, 2)
    with pytest.raises(RuntimeError, match="out of memory"):
        kernels.reduce(s, s.mean(1), s.mean(0), 100.0, 4.0)


def test_eager_on_the_cpu_without_triton_and_where_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert kernels_for(torch.device("cpu")) is EAGER
    with monkeypatch.context() as without_triton:
        without_triton.setattr(tile_reductions.importlib.util, "find_spec", lambda name: None)
        assert kernels_for(torch.device("cuda", 0)) is EAGER
    monkeypatch.setenv(tile_reductions.COMPILE_SWITCH, "0")
    assert kernels_for(torch.device("cuda", 0)) is EAGER
