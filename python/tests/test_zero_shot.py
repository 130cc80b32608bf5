"""zero_shot against hand-checked sets and a brute-force numpy reading of METRICS.md, and the reader's refusals."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from embedding_lens.errors import InputError
from embedding_lens.zero_shot import class_vectors, confused_pairs, read_classification_set, zero_shot

AXES = [[1, 0], [0, 1], [-1, 0]]


def run(images, labels, classes, **kw):
    return zero_shot(torch.tensor(images, dtype=torch.float32), torch.tensor(labels), torch.tensor(classes, dtype=torch.float32), **kw)


def test_accuracies_and_confused_pairs_by_hand():
    r = run([[1, 0.1], [0.1, 1], [1, 0.2], [0, 1]], [0, 1, 2, 0], AXES)
    assert (r["n"], r["classes"], r["top1"], r["top5"]) == (4, 3, 50, 100)
    assert r["per_class"] == [50, 100, 0]
    assert r["balanced"] == 50
    assert r["confused"] == [[0, 1, 1], [2, 0, 1]]


def test_a_tie_keeps_rank_zero_while_the_argmax_takes_the_lowest_index():
    r = run([[1, 0]], [1], [[1, 0], [2, 0], [0, 1]])
    assert r["top1"] == 100
    assert r["confused"] == [[1, 0, 1]]
    assert abs(r["ece"] - 0.5) < 1e-12


def test_balanced_accuracy_skips_a_class_without_images():
    r = run([[1, 0], [1, 0.1], [0.1, 1], [0, 1]], [0, 0, 1, 2], AXES + [[0, -1]])
    assert r["per_class"] == [100, 100, 0, None]
    assert r["balanced"] == pytest.approx(200 / 3, abs=1e-12)


def test_confused_pairs_order_and_cap():
    labels = torch.tensor([2, 2, 2, 0, 0, 1, 1, 1, 3])
    argmax = torch.tensor([1, 1, 0, 1, 1, 0, 0, 1, 2])
    assert confused_pairs(labels, argmax, 4) == [[0, 1, 2], [1, 0, 2], [2, 1, 2], [2, 0, 1], [3, 2, 1]]
    assert confused_pairs(labels, argmax, 4, limit=2) == [[0, 1, 2], [1, 0, 2]]


def test_prompt_ensembles_average_normalised_prompts():
    w = class_vectors(torch.tensor([[[2.0, 0.0], [0.0, 1.0]]]))
    assert torch.allclose(w, torch.tensor([[math.sqrt(0.5), math.sqrt(0.5)]]))

    def deg(a):
        return [math.cos(math.radians(a)), math.sin(math.radians(a))]
    assert run([deg(50)], [0], [[[2, 0], [0, 1]], [deg(60), deg(60)]])["top1"] == 100
    assert run([deg(50)], [0], [[1, 0.5], deg(60)])["top1"] == 0


def test_ece_is_the_float64_softmax_confidence():
    r = run([[1, 0]], [0], [[1, 0], [0, 1]], tau=1.0)
    assert abs(r["ece"] - (1 - 1 / (1 + math.exp(-1)))) < 1e-7


def brute_force(x: np.ndarray, y: np.ndarray, t: np.ndarray, tau: float = 0.01) -> dict:
    """Every figure straight from METRICS.md: all scores at once, float64 softmax over float32 scores."""
    t = t / np.linalg.norm(t, axis=-1, keepdims=True)
    w = t.mean(axis=1)
    w = (w / np.linalg.norm(w, axis=1, keepdims=True)).astype(np.float32)
    x = (x / np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)).astype(np.float32)
    s = x @ w.T
    true = s[np.arange(len(y)), y]
    rank = (s > true[:, None]).sum(1)
    pred = s.argmax(1)
    s64 = s.astype(np.float64)
    conf = 1 / np.exp((s64 - s64.max(1, keepdims=True)) / tau).sum(1)
    bins = np.minimum((conf * 15).astype(int), 14)
    ece = sum(abs((pred[bins == b] == y[bins == b]).sum() - conf[bins == b].sum()) for b in range(15)) / len(y)
    per_class = [100 * (rank[y == c] < 1).mean() for c in range(t.shape[0])]
    return {"top1": 100 * (rank < 1).mean(), "top5": 100 * (rank < 5).mean(), "balanced": float(np.mean(per_class)), "ece": ece, "per_class": per_class}


def generated(seed: int, n: int = 300, c: int = 12, p: int = 3, d: int = 32):
    r = np.random.default_rng(seed)
    centres = r.standard_normal((c, d))
    y = np.arange(n) % c
    x = (centres[y] + 1.5 * r.standard_normal((n, d))).astype(np.float32)
    t = (centres[:, None, :] + 0.5 * r.standard_normal((c, p, d))).astype(np.float32)
    return x, y, t


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blocked_pass_matches_brute_force(seed):
    x, y, t = generated(seed)
    expected = brute_force(x, y, t)
    for block_rows in (7, 4096):
        r = zero_shot(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(t), block_rows=block_rows)
        for key in ("top1", "top5", "balanced", "ece"):
            assert r[key] == pytest.approx(expected[key], abs=1e-6), key
        assert r["per_class"] == pytest.approx(expected["per_class"], abs=1e-6)
    assert 0 < r["top1"] < 100


def write_set(path: Path, **spoil) -> Path:
    x, y, t = generated(3, n=40, c=5)
    arrays = {"image_embeds": x, "labels": y.astype(np.int64), "class_embeds": t}
    arrays.update(spoil)
    np.savez(path, **arrays)
    return path


def test_reads_any_integer_labels_and_class_names(tmp_path):
    x, y, t, names = read_classification_set(str(write_set(tmp_path / "a.npz", labels=np.arange(40).astype(np.uint8) % 5, class_names=np.array(list("abcde")))))
    assert y.tolist() == [i % 5 for i in range(40)]
    assert names == list("abcde")


def test_image_rows_with_nan_are_dropped_with_their_labels(tmp_path):
    x, y, t = generated(3, n=40, c=5)
    x[3, 0] = np.nan
    got_x, got_y, _, _ = read_classification_set(str(write_set(tmp_path / "nan.npz", image_embeds=x)))
    assert got_x.shape[0] == 39 and got_y.tolist() == [i % 5 for i in range(40) if i != 3]


@pytest.mark.parametrize("spoil,problem", [
    ({"labels": np.full(40, 5)}, r"label 5 at row 0 is outside \[0, 5\)"),
    ({"labels": np.arange(40).astype(np.float32)}, "labels must be integers"),
    ({"labels": np.zeros(39, dtype=np.int64)}, "39 labels for 40 images"),
    ({"class_embeds": np.zeros((5, 0, 32), dtype=np.float32)}, "prompt axis of 0"),
    ({"class_embeds": np.full((5, 32), np.nan, dtype=np.float32)}, "NaN or Inf"),
    ({"class_names": np.array(list("abcd"))}, "4 class names for 5 classes"),
    ({"class_embeds": np.zeros((5, 32), dtype=np.float32)}, "all-zero class embedding"),
])
def test_bad_input_is_one_line(tmp_path, spoil, problem):
    file = str(write_set(tmp_path / "bad.npz", **spoil))
    with pytest.raises(InputError, match=problem) as err:
        read_classification_set(file)
    assert err.value.file == file and "\n" not in str(err.value)
