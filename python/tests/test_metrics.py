"""metrics.analyze against the shared reference files and a brute-force float64 reading of METRICS.md."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest
import torch

from embedding_lens import metrics
from embedding_lens.errors import InputError
from embedding_lens.gram_pass import Tiling
from embedding_lens.metrics import analyze

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def brute_force(x: np.ndarray, y: np.ndarray, owner: Optional[np.ndarray] = None) -> dict[str, Any]:
    """Every metric straight from its definition, N x N in float64 (ranks from float32 products, as the contract says)."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    ni, nt = len(x), len(y)
    owner = np.arange(nt) if owner is None else owner
    s32 = x.astype(np.float32) @ y.astype(np.float32).T
    s = x.astype(np.float64) @ y.astype(np.float64).T

    def uniformity(z: np.ndarray) -> float:
        d = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
        iu = np.triu_indices(len(z), 1)
        return math.log(np.exp(-2 * d[iu]).mean())

    mine = owner[None, :] == np.arange(ni)[:, None]
    i2t_rank = (s32 > np.where(mine, s32, -np.inf).max(1, keepdims=True)).sum(1)
    t2i_rank = (s32.T > s32.T[np.arange(nt), owner][:, None]).sum(1)
    pos = s[owner, np.arange(nt)]
    hn_i2t = np.where(mine, -np.inf, s).max(1)
    t2i = s.T.copy()
    t2i[np.arange(nt), owner] = -np.inf

    def retrieval(r: np.ndarray) -> dict[str, float]:
        return {"R@1": 100 * (r < 1).mean(), "R@5": 100 * (r < 5).mean(), "R@10": 100 * (r < 10).mean(),
                "median_rank": float(np.median(r)) + 1, "mean_rank": r.mean() + 1}

    def ece(scores: np.ndarray, right: np.ndarray) -> float:
        p = np.exp((scores - scores.max(1, keepdims=True)) / 0.01)
        p /= p.sum(1, keepdims=True)
        conf, arg = p.max(1), p.argmax(1)
        correct = right[np.arange(len(arg)), arg]
        bins = np.minimum((conf * 15).astype(int), 14)
        return sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).sum() / len(conf) for b in range(15) if (bins == b).any())

    return {
        "uniformity": uniformity(np.concatenate([x, y])),
        "uniformity_image": uniformity(x),
        "uniformity_text": uniformity(y),
        "alignment": (2 - 2 * pos).mean(),
        "hardest_negative_alignment_i2t": (2 * hn_i2t[owner] - 2 * pos).mean(),
        "hardest_negative_alignment_t2i": (2 * t2i.max(1) - 2 * pos).mean(),
        "modality_gap": float(np.linalg.norm(x.mean(0) - y.mean(0))),
        "i2t": retrieval(i2t_rank),
        "t2i": retrieval(t2i_rank),
        "ece": ece(s, mine),
        "ece_t2i": ece(s.T, mine.T),
    }


def assert_close(got: dict[str, Any], want: dict[str, Any], tol: float, prefix: str = "") -> None:
    for key, value in want.items():
        if isinstance(value, dict):
            assert_close(got[key], value, tol, f"{prefix}{key}.")
        else:
            assert abs(got[key] - value) <= tol, f"{prefix}{key}: {got[key]} vs {value}"


@pytest.mark.parametrize("name", ["clip-vitb16-coco500", "clip-random-init-coco500"])
def test_matches_the_reference_files(name: str) -> None:
    data, ref = SHARED / f"{name}.npy", SHARED / f"{name}.reference.json"
    if not data.exists() or not ref.exists():
        pytest.skip(f"{SHARED} has no {name}.npy/.reference.json (shared/data sits beside the checkout)")
    pairs = torch.from_numpy(np.load(data))
    result = analyze(pairs[0], pairs[1])
    # Recall is exact here: the true pair and its candidates come from the same float32 product.
    assert_close(result, json.loads(ref.read_text()), 1e-4)
    assert result["engine"] == "torch" and result["backend"] == "cpu"


def test_matches_brute_force_one_caption_per_image() -> None:
    r = np.random.default_rng(0)
    x = r.standard_normal((70, 12)).astype(np.float32)
    y = (x + 0.8 * r.standard_normal((70, 12))).astype(np.float32)
    result = analyze(torch.from_numpy(x), torch.from_numpy(y))
    assert_close(result, brute_force(x, y), 1e-5)
    assert set(result) >= {"ece_tau", "uniformity_t", "n_image", "n_text", "input_norms"}
    norms = np.linalg.norm(x, axis=1)
    assert result["input_norms"]["image"]["max"] == pytest.approx(norms.max(), rel=1e-6)


def test_matches_brute_force_with_several_captions_per_image() -> None:
    r = np.random.default_rng(1)
    x = r.standard_normal((30, 8)).astype(np.float32)
    owner = np.concatenate([np.arange(30), r.integers(0, 30, 40)])
    r.shuffle(owner)
    y = (x[owner] + 0.9 * r.standard_normal((70, 8))).astype(np.float32)
    result = analyze(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(owner))
    assert result["n"] == 70 and result["n_image"] == 30
    assert_close(result, brute_force(x, y, owner), 1e-5)


def test_ties_count_for_the_true_pair() -> None:
    """rank = #{j : s_ij > s_ii} (METRICS.md): an exact tie does not push the true pair down."""
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert analyze(x, x.clone())["i2t"]["R@1"] == 100
    # Text 0 scores above image 0's own text for image 0: one query misses.
    y = torch.tensor([[0.8, 0.6], [1.0, 0.0], [0.0, 1.0]])
    assert analyze(x, y)["i2t"]["R@1"] == pytest.approx(200 / 3)


def test_bad_inputs_are_one_line() -> None:
    with pytest.raises(InputError, match="needs at least 2 images"):
        analyze(torch.ones(1, 3), torch.ones(1, 3))
    with pytest.raises(InputError, match="image row 1 has norm 0"):
        analyze(torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.eye(2))
    with pytest.raises(InputError, match="image 1 has no caption"):
        analyze(torch.eye(2), torch.eye(2), torch.tensor([0, 0]))


def exact_vectors(n: int, d: int, seed: int) -> np.ndarray:
    """Rows of four ±1 entries: norm 2, so unit rows hold ±0.5 and every dot product is an exact multiple of 1/4 (ties galore)."""
    r = np.random.default_rng(seed)
    out = np.zeros((n, d), dtype=np.float32)
    for row in out:
        row[r.choice(d, 4, replace=False)] = r.choice([-1.0, 1.0], 4)
    return out


@pytest.fixture
def small_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiles of 7 rows by 5 columns: many tiles, a staircase crossing tile edges, ragged last tiles."""
    monkeypatch.setattr(metrics, "CPU_TILING", Tiling(7, 5))


@pytest.mark.parametrize("devices", [1, 3])
def test_exact_inputs_give_exact_ranks_over_many_tiles_and_workers(small_tiles: None, devices: int) -> None:
    x, y = exact_vectors(40, 8, 2), exact_vectors(40, 8, 3)
    y[::3] = x[::3]
    result = analyze(torch.from_numpy(x), torch.from_numpy(y), devices=[torch.device("cpu")] * devices)
    want = brute_force(x, y)
    for direction in ("i2t", "t2i"):
        assert_close(result[direction], want[direction], 1e-9, f"{direction}.")
    assert_close(result, want, 1e-6)


@pytest.mark.parametrize("devices", [1, 2])
def test_exact_inputs_with_several_captions_per_image(small_tiles: None, devices: int) -> None:
    r = np.random.default_rng(4)
    x = exact_vectors(17, 8, 5)
    owner = np.concatenate([np.arange(17), r.integers(0, 17, 30)])
    r.shuffle(owner)
    y = exact_vectors(47, 8, 6)
    y[::2] = x[owner[::2]]
    result = analyze(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(owner), devices=[torch.device("cpu")] * devices)
    want = brute_force(x, y, owner)
    for direction in ("i2t", "t2i"):
        assert_close(result[direction], want[direction], 1e-9, f"{direction}.")
    assert_close(result, want, 1e-6)


def test_tiling_does_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    r = np.random.default_rng(7)
    x = r.standard_normal((50, 16)).astype(np.float32)
    y = (x + r.standard_normal((50, 16))).astype(np.float32)
    whole = analyze(torch.from_numpy(x), torch.from_numpy(y))
    monkeypatch.setattr(metrics, "CPU_TILING", Tiling(8, 3))
    tiled = analyze(torch.from_numpy(x), torch.from_numpy(y), devices=[torch.device("cpu")] * 2)
    assert tiled["i2t"] == whole["i2t"] and tiled["t2i"] == whole["t2i"]
    assert_close(tiled, {k: v for k, v in whole.items() if k not in ("backend",) and not isinstance(v, str)}, 1e-6)


def test_out_of_device_memory_retries_with_smaller_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    # testhooks: rank 0 runs out of memory while the tiles' row edge is above half the CPU tiling's.
    half = Tiling(metrics.CPU_TILING.rows // 2, metrics.CPU_TILING.cols // 2)
    monkeypatch.setenv("EMBEDDING_LENS_TEST_OOM_RANK", "0")
    monkeypatch.setenv("EMBEDDING_LENS_TEST_OOM_TILE", str(half.rows))
    notes: list[str] = []
    x = torch.randn(40, 8)
    result = analyze(x, x + torch.randn(40, 8), note=notes.append)
    assert notes == [f"out of device memory: analysing again with tiles of {half.rows} x {half.cols}"]
    assert result["n"] == 40


def test_out_of_device_memory_at_the_smallest_tiles_is_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDING_LENS_TEST_OOM_RANK", "0")
    notes: list[str] = []
    x = torch.randn(40, 8)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        analyze(x, x + torch.randn(40, 8), note=notes.append)
    assert notes[-1].endswith(f"tiles of {metrics.MIN_RETRY_TILE} x {metrics.MIN_RETRY_TILE * metrics.CPU_TILING.cols // metrics.CPU_TILING.rows}")
