"""Whole runs of the engine: resume, cancel, a failing rank, divergence, refusals."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import engine_env, events_of, launch_command, run_engine, write_config
from safetensors_reader import read_file

BASE = {"train": "train.npy", "eval": "eval.npy", "out": "runs", "loss": "m3mix", "batchSize": 32, "seed": 5}


def no_temp_files(run_dir: Path) -> bool:
    return not [n for n in os.listdir(run_dir) if n.endswith(".tmp") or n.startswith(".write-probe")]


def test_resume_repeats_an_uninterrupted_run(pairs_dir: Path) -> None:
    whole = run_engine(write_config(pairs_dir, "whole", epochs=3, **BASE))
    config = write_config(pairs_dir, "split", epochs=3, **BASE)
    # Stopped in epoch 2 (a NaN at step 12), so the run resumes from epoch-1 with the same settings.
    first = run_engine(config, env={"EMBEDDING_LENS_TEST_NAN_STEP": "12"})
    resumed = run_engine(config, overrides={"resume": True})
    assert whole.code == resumed.code == 0 and first.code == 1, resumed.stderr
    assert resumed.of("start")[0]["firstStep"] == 8 and resumed.of("start")[0]["notes"] == []
    steps = first.of("step")[:8] + resumed.of("step")
    assert [e["step"] for e in steps] == [e["step"] for e in whole.of("step")] == list(range(1, 25))
    for a, b in zip(steps, whole.of("step")):
        assert a["lambda"] == b["lambda"] and a["lr"] == b["lr"] and abs(a["loss"] - b["loss"]) < 1e-6
    assert resumed.of("eval")[-1]["metrics"]["alignment"] == pytest.approx(whole.of("eval")[-1]["metrics"]["alignment"], abs=1e-6)
    logged = [json.loads(line) for line in (pairs_dir / "runs" / "split" / "run.jsonl").read_text().splitlines()]
    expected = [json.loads(line) for line in (pairs_dir / "runs" / "whole" / "run.jsonl").read_text().splitlines()]
    assert [(e["type"], e["epoch"], e.get("step")) for e in logged] == [(e["type"], e["epoch"], e.get("step")) for e in expected]
    tensors, meta = read_file(pairs_dir / "runs" / "split" / "epoch-3.safetensors")
    assert meta["epoch"] == "3" and meta["step"] == "24" and json.loads(meta["config"])["epochs"] == 3
    assert {"image_embeds", "text_embeds", "image_head", "text_head", "adamw.m.image_head", "adamw.v.text_head"} <= set(tensors)


def test_a_changed_setting_is_noted_on_resume(pairs_dir: Path) -> None:
    config = write_config(pairs_dir, "changed", epochs=1, **BASE)
    assert run_engine(config).code == 0
    resumed = run_engine(config, overrides={"epochs": 2, "resume": True})
    assert resumed.code == 0
    assert resumed.of("start")[0]["notes"] == ["resumed with settings changed since epoch-1.safetensors: epochs 1 → 2"]


def test_cancel_file_stops_every_rank_at_a_step_boundary(pairs_dir: Path) -> None:
    cancel = pairs_dir / "cancel-now"
    config = write_config(pairs_dir, "cancelled", epochs=500, **BASE)
    p = subprocess.Popen(launch_command(config, 2), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=engine_env({"EMBEDDING_LENS_CANCEL_FILE": str(cancel)}))
    lines = []
    assert p.stdout is not None
    for line in p.stdout:
        lines.append(line)
        if '"type":"step"' in line and not cancel.exists():
            cancel.write_text("")
    p.wait(timeout=120)
    events = events_of("".join(lines))
    summary = [e for e in events if e["type"] == "summary"][0]
    steps = [e for e in events if e["type"] == "step"]
    assert p.returncode == 0, p.stderr.read() if p.stderr else ""
    assert summary["status"] == "cancelled" and summary["steps"] == len(steps) == steps[-1]["step"]
    assert summary["message"].startswith(f"cancelled at step {len(steps) + 1}")
    run_dir = pairs_dir / "runs" / "cancelled"
    assert no_temp_files(run_dir)
    for line in (run_dir / "run.jsonl").read_text().splitlines():
        json.loads(line)
    read_file(Path(summary["lastCheckpoint"]))


def test_a_rank_that_raises_ends_the_run(pairs_dir: Path) -> None:
    config = write_config(pairs_dir, "failing", epochs=2, **BASE)
    started = time.monotonic()
    run = run_engine(config, 2, env={"EMBEDDING_LENS_TEST_FAIL_RANK": "1", "EMBEDDING_LENS_TEST_FAIL_STEP": "2"})
    assert run.code != 0
    assert time.monotonic() - started < 90
    errors = run.of("error")
    assert errors and errors[0]["rank"] == 1 and "rank 1 fails at step 2" in errors[0]["message"]
    assert not run.of("summary")
    trace = (pairs_dir / "runs" / "failing" / "rank-1.traceback.txt").read_text()
    assert "Traceback" in trace and "maybe_fail" in trace


def test_a_nan_loss_stops_the_run_keeping_the_last_good_checkpoint(pairs_dir: Path) -> None:
    run = run_engine(write_config(pairs_dir, "nan", epochs=2, **BASE), env={"EMBEDDING_LENS_TEST_NAN_STEP": "3"})
    assert run.code == 1
    summary = run.of("summary")[0]
    assert summary["status"] == "diverged" and summary["steps"] == 2
    assert summary["message"] == "step 3: the loss is NaN; stopped, the last good checkpoint is epoch-0.safetensors"
    run_dir = pairs_dir / "runs" / "nan"
    assert sorted(n for n in os.listdir(run_dir) if n.endswith(".safetensors")) == ["best.safetensors", "epoch-0.safetensors"]
    last = json.loads((run_dir / "run.jsonl").read_text().splitlines()[-1])
    assert last["step"] == 3 and last["loss"] is None


def test_a_taken_run_folder_is_refused(pairs_dir: Path) -> None:
    config = write_config(pairs_dir, "taken", epochs=1, **BASE)
    assert run_engine(config).code == 0
    again = run_engine(config)
    assert again.code == 2
    error = again.of("error")[0]
    assert error["input"]["problem"].startswith("already holds a run")
    assert error["message"] == f"{pairs_dir / 'runs' / 'taken'}: {error['input']['problem']}"


def test_bad_config_is_one_error_line(pairs_dir: Path) -> None:
    run = run_engine(write_config(pairs_dir, "bad", epochs=0, **BASE))
    assert run.code == 2
    assert run.of("error")[0]["message"].endswith('"epochs" must be >= 1, got 0')
    assert "Traceback" in run.stderr


def test_info_answers_in_one_line() -> None:
    p = subprocess.run(launch_command(Path("x"), 1)[:3] + ["info"], capture_output=True, text=True, env=engine_env())
    info = json.loads(p.stdout)
    assert p.returncode == 0 and info["ok"] and info["gloo"] is True and info["torch"]
