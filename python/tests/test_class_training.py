"""
Issue 16, item 5 on the torch engine's heads: a classification training set trains on its class
pairs (FLYP), `evalSuites` are measured through the heads every epoch, and `bestMetric` may be
id_top1 or ood_mean. 2 CPU ranks give the 1-rank run, and the run reproduces the tfjs trainer's.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from conftest import REPO, Finished, pair_data, run_engine, write_config
from embedding_lens.class_training import class_pairs, load_epoch_suites, read_suite_spec, read_training_pairs
from embedding_lens.config import parse_config
from embedding_lens.errors import InputError
from embedding_lens.models.heads import EmbeddingPairs
from embedding_lens.zero_shot import class_vectors

CLI = REPO / "dist" / "cli.js"
D, C, P = 32, 8, 3
#: A learning rate that moves the heads enough in 16 steps for the suites' accuracy to change.
SETTINGS = {"loss": "m3mix", "epochs": 2, "batchSize": 32, "seed": 3, "lr": 0.02}


def write_classes(file: Path, n: int, seed: int, noise: float, prompts: int = P) -> None:
    """Images near their class's centre (a larger noise is a harder, "shifted" set); prompts near it too."""
    r = np.random.default_rng(100)  # the classes are the same in every set
    centres = r.standard_normal((C, D))
    class_embeds = centres[:, None, :] + 0.5 * r.standard_normal((C, prompts, D))
    g = np.random.default_rng(seed)
    labels = g.integers(0, C, n)
    image = centres[labels] + noise * g.standard_normal((n, D))
    np.savez(file, image_embeds=image.astype(np.float32), labels=labels.astype(np.int64), class_embeds=class_embeds.astype(np.float32))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("classes")
    write_classes(folder / "train.npz", 256, 1, 2.0)
    np.save(folder / "eval.npy", pair_data(64, D, 12))
    suite = folder / "suite"
    suite.mkdir()
    write_classes(suite / "id.npz", 120, 2, 2.0)
    write_classes(suite / "shift-a.npz", 100, 3, 3.0)
    write_classes(suite / "shift-b.npz", 100, 4, 4.0)
    return folder


@pytest.fixture(scope="module")
def torch_runs(data: Path) -> dict[int, Finished]:
    config = write_config(data, "classes", train="train.npz", eval="eval.npy", evalSuites=["suite"], bestMetric="ood_mean", out="runs", **SETTINGS)
    return {n: run_engine(config, n, {"name": f"torch{n}"}) for n in (1, 2)}


def test_class_pairs_are_image_and_class_vector(data: Path) -> None:
    e = read_training_pairs([str(data / "train.npz")])
    z = np.load(data / "train.npz")
    w = class_vectors(torch.from_numpy(z["class_embeds"]))
    assert e.text.shape == (256, D)
    assert torch.equal(e.text, w[torch.from_numpy(z["labels"])])
    # One text row per image, so the sampler draws pair i as image i with text i, as classPairs.ts gives it.
    assert EmbeddingPairs(e).captions_of == [[i] for i in range(256)]
    # A file with pairs is read as pairs.
    assert read_training_pairs([str(data / "eval.npy")]).text.shape == (64, D)
    assert class_pairs(str(data / "train.npz")).image.dtype == torch.float32


def test_suite_specs(data: Path, tmp_path: Path) -> None:
    folder = read_suite_spec(str(data / "suite"))
    assert folder.name == "suite" and folder.in_distribution.name == "id" and [s.name for s in folder.shifted] == ["a", "b"]
    spec_file = data / "my.suite.json"
    spec_file.write_text(json.dumps({"inDistribution": "suite/id.npz", "shifted": [{"name": "hard", "file": "suite/shift-b.npz"}]}))
    spec = read_suite_spec(str(spec_file))
    assert spec.name == "my" and spec.in_distribution.file == str(data / "suite" / "id.npz") and spec.shifted[0].name == "hard"
    bad = tmp_path / "bad.suite.json"
    bad.write_text(json.dumps({"inDistribution": "id.npz", "shifted": ["x.npz"]}))
    with pytest.raises(InputError, match="set 'id' names .*id.npz, which does not exist"):
        read_suite_spec(str(bad))
    with pytest.raises(InputError, match="do not fit the heads' inputs"):
        load_epoch_suites([str(data / "suite")], D, 16)


def test_config_rules(tmp_path: Path) -> None:
    base = {"train": "a.npz", "eval": "b.npz", "engine": "torch"}
    c = parse_config({**base, "evalSuites": ["s"], "bestMetric": "id_top1"}, "c.json", str(tmp_path), "run")
    assert c["evalSuites"] == [str(tmp_path / "s")]
    with pytest.raises(InputError, match='"bestMetric": "ood_mean" needs "evalSuites"'):
        parse_config({**base, "bestMetric": "ood_mean"}, "c.json", str(tmp_path), "run")
    with pytest.raises(InputError, match='"evalSuites" are embedding files measured through heads'):
        parse_config({"train": "a.csv", "eval": "b.csv", "engine": "torch", "model": {"openClip": "ViT-B-32"}, "evalSuites": ["s"]}, "c.json", str(tmp_path), "run")


def test_runs_measure_the_suites_every_epoch(data: Path, torch_runs: dict[int, Finished]) -> None:
    for n, run in torch_runs.items():
        assert run.code == 0, run.stderr
        summary = run.of("summary")[0]
        assert summary["status"] == "completed" and summary["bestMetric"] == "ood_mean"
        evals = run.of("eval")
        assert [e["epoch"] for e in evals] == [0, 1, 2]
        for e in evals:
            (suite,) = e["suites"]
            assert suite["suite"] == "suite" and suite["inDistribution"]["name"] == "id"
            assert [s["name"] for s in suite["shifted"]] == ["a", "b"]
            assert suite["inDistribution"]["files"] == [str(data / "suite" / "id.npz")]
            assert set(suite["inDistribution"]["result"]) == {"n", "classes", "top1", "top5", "balanced", "ece", "ece_tau", "per_class", "confused"}
            assert suite["ood_mean"] == pytest.approx(sum(s["result"]["top1"] for s in suite["shifted"]) / 2, abs=1e-12)
        values = [e["suites"][0]["ood_mean"] for e in evals]
        assert summary["bestValue"] == max(values) and summary["bestEpoch"] == values.index(max(values))
        logged = [json.loads(line) for line in (data / "runs" / f"torch{n}" / "run.jsonl").read_text().splitlines()]
        assert [e["suites"] for e in logged if e["type"] == "eval"] == [e["suites"] for e in evals]


def test_two_ranks_give_the_one_rank_run(torch_runs: dict[int, Finished]) -> None:
    one, two = torch_runs[1].of("step"), torch_runs[2].of("step")
    assert len(one) == len(two) == 16
    for a, b in zip(one, two):
        assert a["lambda"] == b["lambda"]
        assert abs(a["loss"] - b["loss"]) < 1e-5 * max(1, abs(a["loss"])), (a["step"], a["loss"], b["loss"])
    for a, b in zip(torch_runs[1].of("eval"), torch_runs[2].of("eval")):
        for sa, sb in zip(a["suites"][0]["shifted"] + [a["suites"][0]["inDistribution"]], b["suites"][0]["shifted"] + [b["suites"][0]["inDistribution"]]):
            assert abs(sa["result"]["top1"] - sb["result"]["top1"]) < 1e-6


def tfjs_run(data: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not CLI.exists():
        pytest.skip(f"{CLI} is absent: build it first (node scripts/build.mjs)")
    p = subprocess.run(["node", str(CLI), "train", "--train", "train.npz", "--eval", "eval.npy", "--eval-suites", "suite", "--best-metric", "ood_mean",
                        "--loss", "m3mix", "--epochs", "2", "--batch-size", "32", "--seed", "3", "--lr", "0.02", "--out", "runs", "--name", "tfjs",
                        "--backend", "cpu", "--json"], cwd=data, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    logged = [json.loads(line) for line in (data / "runs" / "tfjs" / "run.jsonl").read_text().splitlines()]
    return [e for e in logged if e["type"] == "step"], [e for e in logged if e["type"] == "eval"]


def test_torch_heads_reproduce_tfjs_on_classes(data: Path, torch_runs: dict[int, Finished]) -> None:
    steps, evals = tfjs_run(data)
    got = torch_runs[1].of("step")[:10]
    assert len(steps) >= 10 and len(got) == 10
    for w, g in zip(steps[:10], got):
        assert g["step"] == w["step"] and g["lambda"].keys() == w["lambda"].keys()
        assert abs(g["loss"] - w["loss"]) < 1e-4, (g["step"], g["loss"], w["loss"])
    ours = torch_runs[1].of("eval")
    assert len(evals) == len(ours) == 3
    # The heads moved the suites: the comparison is not of the identity heads alone.
    assert len({json.dumps(e["suites"][0]["ood_mean"]) for e in ours}) > 1 or ours[0]["suites"] != ours[-1]["suites"]
    for w, g in zip(evals, ours):
        ws, gs = w["suites"][0], g["suites"][0]
        assert ws["suite"] == gs["suite"] and ws["inDistribution"]["name"] == gs["inDistribution"]["name"]
        for a, b in zip([ws["inDistribution"], *ws["shifted"]], [gs["inDistribution"], *gs["shifted"]]):
            assert a["name"] == b["name"] and a["files"] == b["files"]
            assert abs(a["result"]["top1"] - b["result"]["top1"]) < 1e-6, (w["epoch"], a["name"])
        assert abs(ws["ood_mean"] - gs["ood_mean"]) < 1e-6


def test_resume_recalls_the_best_suite_epoch(data: Path) -> None:
    config = write_config(data, "resumed", train="train.npz", eval="eval.npy", evalSuites=["suite"], bestMetric="id_top1", out="runs",
                          name="resumed", **{**SETTINGS, "epochs": 1})
    assert run_engine(config).code == 0
    again = run_engine(config, 1, {"epochs": 2, "resume": True})
    assert again.code == 0, again.stderr
    whole = run_engine(config, 1, {"epochs": 2, "name": "whole"})
    a, b = again.of("summary")[0], whole.of("summary")[0]
    assert (a["bestEpoch"], a["bestValue"]) == (b["bestEpoch"], b["bestValue"])


def test_a_suite_of_other_classes_fails_the_run_in_one_line(data: Path, tmp_path: Path) -> None:
    write_classes(tmp_path / "id.npz", 40, 5, 1.0)
    r = np.random.default_rng(7)
    np.savez(tmp_path / "shift-x.npz", image_embeds=r.standard_normal((20, D)).astype(np.float32), labels=np.zeros(20, np.int64),
             class_embeds=r.standard_normal((C + 1, D)).astype(np.float32))
    config = write_config(data, "badsuite", train="train.npz", eval="eval.npy", evalSuites=[str(tmp_path)], out="runs", name="badsuite", **SETTINGS)
    run = run_engine(config)
    assert run.code == 2
    (error,) = run.of("error")
    assert "set 'x' has 9 classes but the in-distribution set 'id' has 8" in error["message"]
