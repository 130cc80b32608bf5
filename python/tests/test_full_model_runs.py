"""
Full-model training runs of the torch engine, launched as the extension launches them (torchrun, 2
CPU ranks on gloo): each adapter (OpenCLIP, Hugging Face, a factory file) on a small generated
image–caption dataset, 2 ranks against 1, resume, cancel, a rank that raises, and bad input.

The runs are tiny (32x32 images, 2 epochs of a few steps) and shared between the tests through
module-scoped fixtures, so the whole file stays within about a minute on a 2-core machine.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pytest

from conftest import Finished, engine_env, events_of, launch_command, run_engine, write_config
from safetensors_reader import read_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.datasets import FACTORY, OPEN_CLIP_CONFIG, make_dataset, make_hf_folder  # noqa: E402

TRAIN_IMAGES = 128
EVAL_IMAGES = 48
BATCH = 32
EPOCHS = 2
STEPS_PER_EPOCH = TRAIN_IMAGES // BATCH
#: Keys every eval event's metrics hold (metrics.analyze).
ANALYZE_KEYS = {"n", "dim", "uniformity", "uniformity_image", "uniformity_text", "alignment", "hardest_negative_alignment_i2t",
                "hardest_negative_alignment_t2i", "modality_gap", "i2t", "t2i", "ece", "ece_t2i"}
RUN_TIMEOUT = 120
FACTORY_MODEL = {"factory": f"{FACTORY}:make"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/pairs.csv (128 images) and eval/pairs.csv (48 images): a few hundred 32x32 PNGs with captions."""
    root = tmp_path_factory.mktemp("full")
    make_dataset(root / "train", images=TRAIN_IMAGES, seed=1)
    make_dataset(root / "eval", images=EVAL_IMAGES, seed=2)
    return root


def base(**extra: Any) -> dict[str, Any]:
    keys: dict[str, Any] = {"train": "train/pairs.csv", "eval": "eval/pairs.csv", "out": "runs", "loss": "m3mix", "batchSize": BATCH,
                            "epochs": EPOCHS, "seed": 3, "lr": 1e-3, "workers": 0}
    keys.update(extra)
    return keys


def run_dir(data: Path, name: str) -> Path:
    return data / "runs" / name


def log_of(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "run.jsonl").read_text().splitlines()]


def leftovers(folder: Path) -> list[str]:
    """Temp files of an interrupted write (tensorfile.TEMP_NAME) or of the writability probe."""
    return [n for n in os.listdir(folder) if n.endswith(".tmp") or n.startswith(".write-probe")]


def stream_run(config: Path, nproc: int, cancel: Path, when: Callable[[dict[str, Any]], bool],
               overrides: Optional[dict[str, Any]] = None) -> Finished:
    """A run whose cancel file is created as soon as an event matches `when`."""
    p = subprocess.Popen(launch_command(config, nproc, overrides), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=engine_env({"EMBEDDING_LENS_CANCEL_FILE": str(cancel)}))
    out: list[str] = []
    assert p.stdout is not None and p.stderr is not None
    try:
        for line in p.stdout:
            out.append(line)
            if not cancel.exists() and line.startswith("@embedding-lens ") and when(json.loads(line[len("@embedding-lens "):])):
                cancel.write_text("")
        code = p.wait(timeout=RUN_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return Finished(code, events_of("".join(out)), p.stderr.read())


def losses(events: list[dict[str, Any]]) -> list[float]:
    return [e["loss"] for e in events]


# --- the shared runs --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(data: Path) -> dict[str, Finished]:
    """Runs made once and read by several tests, by name (each run's folder is data/runs/<name>)."""
    return {}


def shared_run(runs: dict[str, Finished], data: Path, name: str, nproc: int, **keys: Any) -> Finished:
    if name not in runs:
        runs[name] = run_engine(write_config(data, name, **base(**keys)), nproc, timeout=RUN_TIMEOUT)
    return runs[name]


def adapter_run(runs: dict[str, Finished], data: Path, adapter: str) -> Finished:
    if adapter == "factory":
        return shared_run(runs, data, "factory", 2, model=FACTORY_MODEL)
    if adapter == "openClip":
        pytest.importorskip("open_clip")
        # One data-loader worker process per rank on this one.
        return shared_run(runs, data, "openClip", 2, model={"openClip": str(OPEN_CLIP_CONFIG)}, workers=1)
    pytest.importorskip("transformers")
    hf = data / "tiny-clip"
    if not hf.exists():
        make_hf_folder(hf)
    # LiT: the image tower locked.
    return shared_run(runs, data, "huggingFace", 2, model={"huggingFace": str(hf)}, freeze=["image"])


# --- 1. a full-model run through each adapter -------------------------------------------------------

@pytest.mark.parametrize("adapter", ["factory", "openClip", "huggingFace"])
def test_a_full_model_run_through_each_adapter(data: Path, runs: dict[str, Finished], adapter: str) -> None:
    run = adapter_run(runs, data, adapter)
    assert run.code == 0, run.stderr[-3000:]
    folder = run_dir(data, adapter)
    summary = run.of("summary")[0]
    total = EPOCHS * STEPS_PER_EPOCH
    assert summary["status"] == "completed" and summary["epochs"] == EPOCHS and summary["steps"] == total
    assert not run.of("error")
    start = run.of("start")[0]
    assert start["totalSteps"] == total and start["stepsPerEpoch"] == STEPS_PER_EPOCH and start["firstStep"] == 0

    log = log_of(folder)
    steps = [e for e in log if e["type"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, total + 1))
    assert [e["epoch"] for e in steps] == [1 + i // STEPS_PER_EPOCH for i in range(total)]
    for e in steps:
        assert e["ranks"] == 2 and e["samples_per_s"] > 0 and np.isfinite(e["loss"])
        assert set(e["lambda"]) and set(e["components"])
    assert steps == run.of("step")  # the log and the event stream agree
    # The loss is optimised: the last epoch's mean is well below the first step's.
    assert np.mean(losses(steps[-STEPS_PER_EPOCH:])) < 0.8 * steps[0]["loss"], losses(steps)
    evals = [e for e in log if e["type"] == "eval"]
    assert [e["epoch"] for e in evals] == list(range(EPOCHS + 1))
    for e in evals:
        assert ANALYZE_KEYS <= set(e["metrics"]) and e["metrics"]["n"] == EVAL_IMAGES

    eval_captions = [line.split(",", 1)[1] for line in (data / "eval" / "pairs.csv").read_text().splitlines()[1:]]
    for k in range(EPOCHS + 1):
        tensors, meta = read_file(folder / f"epoch-{k}.safetensors")
        assert tensors["image_embeds"].shape == tensors["text_embeds"].shape == (EVAL_IMAGES, evals[k]["metrics"]["dim"])
        np.testing.assert_allclose(np.linalg.norm(tensors["image_embeds"], axis=1), 1, atol=1e-5)
        assert json.loads(meta["captions"]) == eval_captions
        assert meta["epoch"] == str(k) and meta["step"] == str(k * STEPS_PER_EPOCH)
        assert json.loads(meta["metrics"]) == evals[k]["metrics"]
        weights, wmeta = read_file(folder / f"model-epoch-{k}.safetensors")
        assert weights and wmeta["epoch"] == str(k)
        assert (folder / f"resume-epoch-{k}.pt").is_file()
    best, best_meta = read_file(folder / "best.safetensors")
    assert {"image_embeds", "text_embeds"} <= set(best) and int(best_meta["epoch"]) == summary["bestEpoch"]
    assert not leftovers(folder)

    # Epoch 0 is measured before the first step: model-epoch-0 holds the initial weights. Every
    # trained tensor moved (the loss is optimised through every trainable parameter).
    initial, _ = read_file(folder / "model-epoch-0.safetensors")
    trained, _ = read_file(folder / f"model-epoch-{EPOCHS}.safetensors")
    assert set(initial) == set(trained)
    unchanged = [n for n in initial if np.array_equal(initial[n], trained[n])]
    assert not unchanged, unchanged
    first, last = read_file(folder / "epoch-0.safetensors")[0], read_file(folder / f"epoch-{EPOCHS}.safetensors")[0]
    assert not np.allclose(first["text_embeds"], last["text_embeds"], atol=1e-4)
    if adapter == "huggingFace":
        # The frozen image tower is neither saved as trained weights nor changed: its eval embeddings are those before training.
        assert not [n for n in trained if n.startswith(("net.vision_model.", "net.visual_projection."))]
        assert any(n.startswith("net.text_model.") for n in trained)
        np.testing.assert_allclose(first["image_embeds"], last["image_embeds"], atol=1e-6)
        assert any(n.startswith("frozen: the image tower") for n in start["notes"])
    else:
        assert not np.allclose(first["image_embeds"], last["image_embeds"], atol=1e-4)


# --- 2. 2 ranks and 1 rank, the same global batch ---------------------------------------------------

def test_two_ranks_give_the_losses_of_one(data: Path, runs: dict[str, Finished]) -> None:
    two = adapter_run(runs, data, "factory")
    one = shared_run(runs, data, "factory-1rank", 1, model=FACTORY_MODEL)
    assert two.code == one.code == 0, one.stderr[-3000:]
    assert [e["ranks"] for e in one.of("step")] == [1] * EPOCHS * STEPS_PER_EPOCH
    first = STEPS_PER_EPOCH + 2
    for a, b in zip(two.of("step")[:first], one.of("step")[:first]):
        assert a["step"] == b["step"] and a["lambda"] == b["lambda"] and a["lr"] == b["lr"]
        assert abs(a["loss"] - b["loss"]) < 1e-5, (a["step"], a["loss"], b["loss"])
        for term in a["components"]:
            assert abs(a["components"][term] - b["components"][term]) < 1e-5


# --- 3. resume --------------------------------------------------------------------------------------

def test_a_resumed_run_continues_to_the_uninterrupted_losses(data: Path, runs: dict[str, Finished]) -> None:
    whole = adapter_run(runs, data, "factory")
    config = write_config(data, "resumed", **base(model=FACTORY_MODEL))
    cancel = data / "cancel-resumed"
    # Cancelled at epoch 1's last step: the ranks next look at the cancel file at the boundary
    # after epoch 1's eval and checkpoint (step 5), so the run stops with epoch-1 as its last checkpoint.
    first = stream_run(config, 2, cancel, lambda e: e["type"] == "step" and e["step"] == STEPS_PER_EPOCH)
    assert first.code == 0, first.stderr[-3000:]
    summary = first.of("summary")[0]
    assert summary["status"] == "cancelled" and summary["epochs"] == 1 and summary["lastCheckpoint"].endswith("epoch-1.safetensors")
    assert [e["epoch"] for e in first.of("checkpoint")] == [0, 1]
    cancel.unlink()
    resumed = run_engine(config, 2, overrides={"resume": True}, timeout=RUN_TIMEOUT)
    assert whole.code == resumed.code == 0, resumed.stderr[-3000:]
    start = resumed.of("start")[0]
    assert start["firstStep"] == STEPS_PER_EPOCH
    assert not [n for n in start["notes"] if "settings changed" in n]
    assert resumed.of("summary")[0]["status"] == "completed"
    steps = first.of("step")[:STEPS_PER_EPOCH] + resumed.of("step")
    expected = whole.of("step")
    assert [e["step"] for e in steps] == [e["step"] for e in expected] == list(range(1, EPOCHS * STEPS_PER_EPOCH + 1))
    for a, b in zip(steps, expected):
        assert a["lambda"] == b["lambda"] and a["lr"] == b["lr"]
        assert abs(a["loss"] - b["loss"]) < 1e-5, (a["step"], a["loss"], b["loss"])
    folder, reference = run_dir(data, "resumed"), run_dir(data, "factory")
    # The log holds one run: the cancelled epoch's steps were trimmed.
    assert [(e["type"], e["epoch"], e.get("step")) for e in log_of(folder)] == [(e["type"], e["epoch"], e.get("step")) for e in log_of(reference)]
    got, want = read_file(folder / f"model-epoch-{EPOCHS}.safetensors")[0], read_file(reference / f"model-epoch-{EPOCHS}.safetensors")[0]
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], atol=1e-5)


# --- 4. cancel mid-run ------------------------------------------------------------------------------

def test_cancel_stops_both_ranks_at_a_step_boundary(data: Path) -> None:
    config = write_config(data, "cancelled", **base(model=FACTORY_MODEL, epochs=200))
    cancel = data / "cancel-now"
    started = time.monotonic()
    run = stream_run(config, 2, cancel, lambda e: e["type"] == "step" and e["step"] == 2)
    assert time.monotonic() - started < 60
    # Both ranks agreed: neither failed nor hung in a collective the other left (torchrun exits 0).
    assert run.code == 0 and not run.of("error"), run.stderr[-3000:]
    assert "ChildFailedError" not in run.stderr
    summary = run.of("summary")[0]
    steps = run.of("step")
    assert summary["status"] == "cancelled" and summary["steps"] == len(steps) == steps[-1]["step"] >= 2
    assert summary["message"].startswith(f"cancelled at step {len(steps) + 1}; the last checkpoint is epoch-{summary['epochs']}.safetensors")
    assert len(steps) < 200 * STEPS_PER_EPOCH
    folder = run_dir(data, "cancelled")
    assert not leftovers(folder)
    log = log_of(folder)
    assert [e for e in log if e["type"] == "step"] == steps
    names = set(os.listdir(folder))
    epochs = sorted(int(n[len("epoch-"):-len(".safetensors")]) for n in names if n.startswith("epoch-"))
    assert epochs == list(range(summary["epochs"] + 1))
    assert names == {"run.jsonl", "best.safetensors", *(f"{kind}-{k}.{ext}" for k in epochs
                     for kind, ext in (("epoch", "safetensors"), ("model-epoch", "safetensors"), ("resume-epoch", "pt")))}
    for n in names:
        if n.endswith(".safetensors"):
            read_file(folder / n)  # complete files: the header's offsets fit the data


# --- 5. a rank that raises --------------------------------------------------------------------------

def test_a_rank_that_raises_ends_the_run(data: Path) -> None:
    config = write_config(data, "failing", **base(model=FACTORY_MODEL))
    started = time.monotonic()
    run = run_engine(config, 2, env={"EMBEDDING_LENS_TEST_FAIL_RANK": "1", "EMBEDDING_LENS_TEST_FAIL_STEP": "2"}, timeout=90)
    assert time.monotonic() - started < 60
    assert run.code != 0
    errors = run.of("error")
    assert errors and errors[0]["rank"] == 1, run.stderr[-3000:]
    assert errors[0]["message"] == "RuntimeError: test hook EMBEDDING_LENS_TEST_FAIL_RANK: rank 1 fails at step 2"
    assert not run.of("summary")
    assert [e["step"] for e in run.of("step")] == [1]
    folder = run_dir(data, "failing")
    trace = (folder / "rank-1.traceback.txt").read_text()
    assert trace.startswith("Traceback") and "maybe_fail" in trace and "rank 1 fails at step 2" in trace
    assert "[rank 1] Traceback" in run.stderr
    assert not leftovers(folder)


# --- 6. bad input -----------------------------------------------------------------------------------

def test_a_csv_without_its_caption_column_is_one_error_line(data: Path) -> None:
    make_dataset(data / "nocaption", images=8, columns=("filepath", "caption"))
    config = write_config(data, "nocaption", **base(model=FACTORY_MODEL, train="nocaption/pairs.csv"))
    run = run_engine(config, timeout=RUN_TIMEOUT)
    assert run.code == 2, run.stderr[-3000:]
    assert len(run.events) == 1 and run.events[0]["type"] == "error"
    error = run.events[0]
    csv = str(data / "nocaption" / "pairs.csv")
    assert error["input"]["file"] == csv
    assert error["input"]["problem"].startswith("has no column 'title' (comma-separated header columns: 'filepath', 'caption')")
    assert error["message"] == f"{csv}: {error['input']['problem']}"
    assert not run_dir(data, "nocaption").exists()


def test_too_many_missing_images_are_refused_with_their_count(data: Path) -> None:
    # 4 of 64 rows (6.2%) is over the 5% a run skips with a note.
    make_dataset(data / "holes", images=64, missing=4, seed=4)
    config = write_config(data, "holes", **base(model=FACTORY_MODEL, train="holes/pairs.csv"))
    run = run_engine(config, timeout=RUN_TIMEOUT)
    assert run.code == 2, run.stderr[-3000:]
    assert [e["type"] for e in run.events] == ["error"]
    problem = run.events[0]["input"]["problem"]
    assert run.events[0]["input"]["file"] == str(data / "holes" / "pairs.csv")
    assert problem.startswith("4 of 64 rows (6.2%) have missing or unreadable images or cells, more than the 5% allowed: ")
    assert "img/0060.png (missing)" in problem and "img/0063.png (missing)" in problem
    assert not run_dir(data, "holes").exists()
