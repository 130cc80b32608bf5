"""`python -m embedding_lens analyze` as the CLI runs it: one process, and 2 gloo ranks under torchrun giving the same numbers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Finished, engine_env, events_of

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
