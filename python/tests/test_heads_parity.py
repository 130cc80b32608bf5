"""
Issue 13, item 6 and 4: "engine": "torch", "model": "heads" reproduces the tfjs trainer (same batch
order and lambdas from the same seed, the same losses), on 1 rank and on 2; and 2 ranks give the
1-rank losses. Each implementation checks the other: tfjs's backward passes are written by hand,
torch's come from autograd.
"""
from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors_reader import read_tensors

from conftest import REPO, Finished, pair_data, run_engine, write_config

CLI = REPO / "dist" / "cli.js"
SETTINGS = {"loss": "m3mix", "epochs": 2, "batchSize": 32, "seed": 3}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parity")
    np.save(folder / "train.npy", pair_data(256, 32, 11))
    np.save(folder / "eval.npy", pair_data(64, 32, 12))
    return folder


@pytest.fixture(scope="module")
def torch_runs(data: Path) -> dict[int, Finished]:
    config = write_config(data, "heads", train="train.npy", eval="eval.npy", out="runs", **SETTINGS)
    return {n: run_engine(config, n, {"name": f"torch{n}"}) for n in (1, 2)}


def tfjs_steps(data: Path, name: str, *extra: str) -> list[dict[str, Any]]:
    if not CLI.exists():
        pytest.skip(f"{CLI} is absent: build it first (node scripts/build.mjs)")
    p = subprocess.run(["node", str(CLI), "train", "--train", "train.npy", "--eval", "eval.npy", "--loss", "m3mix",
                        "--epochs", "2", "--batch-size", "32", "--seed", "3", "--out", "runs", "--name", name,
                        "--backend", "cpu", "--json", *extra], cwd=data, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [e for e in map(json.loads, p.stdout.splitlines()) if e["type"] == "step"]


@pytest.fixture(scope="module")
def tfjs_run(data: Path) -> list[dict[str, Any]]:
    return tfjs_steps(data, "tfjs")


def test_every_run_completes(torch_runs: dict[int, Finished]) -> None:
    for n, run in torch_runs.items():
        assert run.code == 0, run.stderr
        assert run.of("summary")[0]["status"] == "completed"
        assert {e["ranks"] for e in run.of("step")} == {n}


@pytest.mark.parametrize("ranks", [1, 2])
def test_torch_heads_reproduce_tfjs(tfjs_run: list[dict[str, Any]], torch_runs: dict[int, Finished], ranks: int) -> None:
    want = tfjs_run[:10]
    got = torch_runs[ranks].of("step")[:10]
    assert len(want) == len(got) == 10
    for w, g in zip(want, got):
        assert g["step"] == w["step"] and g["epoch"] == w["epoch"]
        assert g["lr"] == pytest.approx(w["lr"], rel=1e-12)
        # One draw: the same stream; Math.log/pow (V8's fdlibm) and libm's may part in the last bit.
        assert g["lambda"].keys() == w["lambda"].keys()
        for term, value in w["lambda"].items():
            assert g["lambda"][term] == pytest.approx(value, rel=1e-12, abs=1e-15)
        assert abs(g["loss"] - w["loss"]) < 1e-4, (g["step"], g["loss"], w["loss"])
        assert g["components"].keys() == w["components"].keys()
        for term, value in w["components"].items():
            assert abs(g["components"][term] - value) < 1e-4 * max(1, abs(value)), (g["step"], term)


def test_two_ranks_give_the_one_rank_losses(torch_runs: dict[int, Finished]) -> None:
    one, two = torch_runs[1].of("step"), torch_runs[2].of("step")
    assert len(one) == len(two) == 16
    for a, b in zip(one, two):
        assert a["lambda"] == b["lambda"]
        assert abs(a["loss"] - b["loss"]) < 1e-5
        for term in a["components"]:
            assert abs(a["components"][term] - b["components"][term]) < 1e-5 * max(1, abs(a["components"][term]))
    final = [r.of("eval")[-1]["metrics"] for r in (torch_runs[1], torch_runs[2])]
    assert abs(final[0]["alignment"] - final[1]["alignment"]) < 1e-5


def test_seeded_projection_heads_equal_tfjs(data: Path) -> None:
    """jointDim below D: both heads start as the same seeded Gaussian projections."""
    tfjs_steps(data, "tfjs-joint", "--joint-dim", "16", "--epochs", "1")
    config = write_config(data, "joint", train="train.npy", eval="eval.npy", out="runs", name="torch-joint", jointDim=16, **{**SETTINGS, "epochs": 1})
    assert run_engine(config).code == 0
    tfjs, ours = (read_tensors(data / "runs" / n / "epoch-0.safetensors") for n in ("tfjs-joint", "torch-joint"))
    for name in ("image_head", "text_head", "image_embeds", "text_embeds"):
        assert np.abs(tfjs[name] - ours[name]).max() < 1e-6, name
    assert not math.isclose(float(np.abs(tfjs["image_head"] - tfjs["text_head"]).max()), 0)
