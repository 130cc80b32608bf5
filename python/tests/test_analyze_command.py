"""`python -m embedding_lens analyze` as the CLI runs it: one process, and 2 gloo ranks under torchrun giving the same numbers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

from conftest import Finished, engine_env, events_of
from embedding_lens.tensorfile import read_safetensors
from embedding_lens.zero_shot import read_classification_set, zero_shot

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0", "--nnodes=1",
            "--nproc_per_node=2", "--redirects", "9:1", "--tee", "9:1"]


def analyze(args: list[str], nproc: int = 1, env: dict[str, str] | None = None) -> Finished:
    launcher = TORCHRUN if nproc > 1 else [sys.executable]
    p = subprocess.run([*launcher, "-m", "embedding_lens", "analyze", *args], capture_output=True, text=True, env=engine_env(env), timeout=300)
    return Finished(p.returncode, events_of(p.stdout), p.stderr)


def result_of(run: Finished) -> dict[str, Any]:
    assert run.code == 0, run.stderr[-2000:]
    found = run.of("analysis")
    assert len(found) == 1, run.events
    return found[0]["result"]


def assert_same(one: dict[str, Any], two: dict[str, Any]) -> None:
    for key, value in one.items():
        if key in ("i2t", "t2i"):
            assert two[key] == value, key
        elif isinstance(value, float):
            assert abs(two[key] - value) <= 1e-12 * max(1.0, abs(value)), f"{key}: {two[key]} vs {value}"


@pytest.mark.parametrize("name", ["pairs.npy", "captions.npz"])
def test_two_ranks_give_the_numbers_of_one(shards: Path, name: str) -> None:
    one = result_of(analyze([str(shards / name)]))
    two_run = analyze([str(shards / name)], nproc=2)
    two = result_of(two_run)
    assert_same(one, two)
    progress = two_run.of("progress")
    assert progress and progress[-1]["done"] == progress[-1]["total"]
    assert one["engine"] == "torch" and one["backend"] == "cpu"


def test_json_prints_the_result_alone(shards: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "embedding_lens", "analyze", str(shards / "pairs.npy"), "--json", "--ks", "1,3", "--ece-tau", "0.05"],
                       capture_output=True, text=True, env=engine_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    assert list(result["i2t"]) == ["R@1", "R@5", "R@10", "median_rank", "mean_rank", "R@3"] and result["ece_tau"] == 0.05


def test_a_cancel_file_stops_every_rank(shards: Path, tmp_path: Path) -> None:
    cancel = tmp_path / "cancel"
    cancel.write_text("")
    run = analyze([str(shards / "pairs.npy")], nproc=2, env={"EMBEDDING_LENS_CANCEL_FILE": str(cancel)})
    assert run.code == 0 and run.of("cancelled") and not run.of("analysis"), run.stderr[-2000:]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    run = analyze([str(tmp_path / "bad.npy")])
    assert run.code == 2
    assert [e["message"] for e in run.of("error")] == [f"{tmp_path / 'bad.npy'}: the file is not a numpy .npy array (it does not start with \\x93NUMPY)"]


def _pairs_with_classes(folder: Path, labels_for: int = 600, nan_image: Optional[int] = None, nan_text: Optional[int] = None) -> Path:
    r = np.random.default_rng(8)
    x = r.standard_normal((600, 16)).astype(np.float32)
    y = (x + r.standard_normal((600, 16))).astype(np.float32)
    if nan_image is not None:
        x[nan_image] = np.nan
    if nan_text is not None:
        y[nan_text] = np.nan
    classes = r.standard_normal((7, 3, 16)).astype(np.float32)
    file = folder / "pairs-and-classes.npz"
    np.savez(file, image_embeds=x, text_embeds=y, labels=r.integers(0, 7, labels_for), class_embeds=classes,
             class_names=np.array([f"class {c}" for c in range(7)]))
    return file


def test_a_file_with_classes_gets_its_zero_shot_figures_on_any_number_of_ranks(tmp_path: Path) -> None:
    file = _pairs_with_classes(tmp_path)
    x, y, t, _ = read_classification_set(str(file))
    expected = zero_shot(x, y, t, tau=0.02)
    one, two = (result_of(analyze([str(file), "--ece-tau", "0.02"], nproc=n)) for n in (1, 2))
    assert one["zero_shot"] == expected and two["zero_shot"] == expected


def test_a_file_with_classes_writes_their_detail(tmp_path: Path) -> None:
    file = _pairs_with_classes(tmp_path)
    detail = tmp_path / "detail.safetensors"
    result = result_of(analyze([str(file), "--detail", str(detail)]))
    arrays, _ = read_safetensors(str(detail))
    names = bytes(arrays["zero_shot_class_names"].tolist()).decode()
    assert json.loads(names) == [f"class {c}" for c in range(7)]
    counts = arrays["zero_shot_per_class_count"]
    assert counts.sum() == 600 and counts.shape == (7,)
    assert arrays["zero_shot_reliability_count"].sum() == 600
    assert result["zero_shot"]["per_class"][0] is not None


def test_labels_that_do_not_fit_the_images_fail_before_the_pass(tmp_path: Path) -> None:
    file = _pairs_with_classes(tmp_path, labels_for=599)
    run = analyze([str(file)])
    assert run.code == 2 and not run.of("progress")
    assert [e["message"] for e in run.of("error")] == [f"{file}: 'labels' (599,) has 599 labels for 600 images"]


def test_skipped_pairs_leave_the_zero_shot_pass_every_usable_image(tmp_path: Path) -> None:
    """A bad text skips its pair, not its image's label; a bad image drops both, with a warning, as the tfjs readers do."""
    file = _pairs_with_classes(tmp_path, nan_image=3, nan_text=10)
    run = analyze([str(file)])
    result = result_of(run)
    x, y, t, _ = read_classification_set(str(file))
    assert result["n_image"] == 598 and result["zero_shot"] == zero_shot(x, y, t) and result["zero_shot"]["n"] == 599
    assert [e["message"] for e in run.of("warning")][-1] == "classes: skipped 1 image rows with NaN/Inf or all zeros, and their labels"
