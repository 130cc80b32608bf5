"""`embedding_lens embed`: one rank in-process, two CPU ranks under torchrun, cancel, bad input."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.datasets import FACTORY, OPEN_CLIP_CONFIG, PYTHON, make_dataset, run_config  # noqa: E402

from embedding_lens import embed  # noqa: E402
from embedding_lens.cancel import CancelRequest  # noqa: E402
from embedding_lens.models import open_clip_model  # noqa: E402
from embedding_lens.tensorfile import read_safetensors  # noqa: E402

REPO = PYTHON.parent
CLI = REPO / "dist" / "cli.js"
OPEN_CLIP = json.dumps({"openClip": str(OPEN_CLIP_CONFIG)})


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("@embedding-lens "):]) for line in text.splitlines() if line.startswith("@embedding-lens ")]


def args(data: Path, out: Path, model: str = OPEN_CLIP, *more: str) -> list[str]:
    return ["--model", model, "--data", str(data), "--out", str(out), "--batch-size", "16", "--workers", "2", *more]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """
    Two gloo ranks as the extension launches them (the 9:1 values work around torch 1.13's parsing).
    Not --standalone: torch 1.13 puts its rendezvous on the fixed port 29400, so two runs at once on
    this machine (another test session) would meet each other's store; a free port of our own avoids it.
    """
    rendezvous = ["--nnodes", "1", "--rdzv_backend", "c10d", "--rdzv_endpoint", f"127.0.0.1:{free_port()}", "--rdzv_id", uuid.uuid4().hex]
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", *rendezvous, "--nproc_per_node", "2", "--redirects", "9:1", "--tee", "9:1",
         "-m", "embedding_lens", "embed", *argv],
        env={**os.environ, "PYTHONPATH": str(PYTHON), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", **(env or {})},
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def coco_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 images with two captions each: the file needs its text_to_image index."""
    return make_dataset(tmp_path_factory.mktemp("coco"), images=48, captions_per_image=2)


@pytest.fixture(scope="module")
def one_rank(coco_like: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    pytest.importorskip("open_clip")
    out = tmp_path_factory.mktemp("one") / "embeds.safetensors"
    capture = tmp_path_factory.mktemp("log") / "stdout.txt"
    with open(capture, "w") as log, contextlib.redirect_stdout(log):
        code = embed.main(args(coco_like, out))
    text = capture.read_text()
    assert code == 0, text
    return out, events(text)


def test_one_rank_writes_what_the_model_computes(coco_like: Path, one_rank: tuple[Path, list[dict[str, Any]]]) -> None:
    out, evs = one_rank
    tensors, meta = read_safetensors(str(out))
    assert set(tensors) == {"image_embeds", "text_embeds", "text_to_image"}
    assert tensors["image_embeds"].shape == (48, 32) and tensors["text_embeds"].shape == (96, 32)
    assert tensors["text_to_image"].tolist() == [i // 2 for i in range(96)]
    captions = json.loads(meta["captions"])
    assert len(captions) == 96 and captions[3].endswith(" 1 1")
    assert json.loads(meta["model"]) == json.loads(OPEN_CLIP) and meta["data"] == str(coco_like)
    # The same rows as the adapter's model on its own: the random init comes from the run's seed,
    # whatever the global RNG's state (every rank and every run builds the same model).
    torch.manual_seed(999)
    built = open_clip_model.build(run_config(json.loads(OPEN_CLIP), None, coco_like), torch.device("cpu"))
    built.model.eval()
    with torch.no_grad():
        x = built.model.encode_image(built.eval.images(range(48), torch.device("cpu")))
        y = built.model.encode_text(built.eval.texts(range(96), torch.device("cpu")))
    torch.testing.assert_close(tensors["image_embeds"], x, atol=1e-5, rtol=0)
    torch.testing.assert_close(tensors["text_embeds"], y, atol=1e-5, rtol=0)
    progress = [e for e in evs if e["type"] == "progress"]
    assert progress[-1] == {"type": "progress", "done": 144, "total": 144} and len(progress) == 9
    assert evs[-1] == {"type": "embedded", "file": str(out), "images": 48, "texts": 96}


def test_two_ranks_give_the_same_file(coco_like: Path, one_rank: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out = tmp_path / "two.safetensors"
    done = torchrun(*args(coco_like, out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    one, meta_one = read_safetensors(str(one_rank[0]))
    two, meta_two = read_safetensors(str(out))
    assert set(one) == set(two) and meta_one == meta_two
    for key in one:
        torch.testing.assert_close(two[key], one[key], atol=1e-5, rtol=0)
    evs = events(done.stdout)
    assert [e["type"] for e in evs].count("embedded") == 1  # rank 0 alone reports
    assert [e for e in evs if e["type"] == "progress"][-1]["done"] == 144


def test_ranks_embed_with_rank_zeros_weights(tmp_path: Path) -> None:
    """A factory seeding its init by rank: both shards still come from one model (rank 0's)."""
    data = make_dataset(tmp_path, images=30, name="pairs.tsv", columns=("img", "cap"))
    model = json.dumps({"factory": f"{FACTORY}:make_per_rank"})
    more = ("--image-column", "img", "--caption-column", "cap")
    with open(tmp_path / "log.txt", "w") as log, contextlib.redirect_stdout(log):
        assert embed.main(args(data, tmp_path / "one.safetensors", model, *more)) == 0
    done = torchrun(*args(data, tmp_path / "two.safetensors", model, *more))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    one, _ = read_safetensors(str(tmp_path / "one.safetensors"))
    two, _ = read_safetensors(str(tmp_path / "two.safetensors"))
    assert set(one) == {"image_embeds", "text_embeds"}  # one caption per image: no index needed
    for key in one:
        torch.testing.assert_close(two[key], one[key], atol=1e-5, rtol=0)


def test_the_analysis_reader_accepts_the_file(one_rank: tuple[Path, list[dict[str, Any]]]) -> None:
    node = shutil.which("node")
    if node is None or not CLI.exists():
        pytest.skip(f"needs node and {CLI} (node scripts/build.mjs)")
    done = subprocess.run([node, str(CLI), "analyze", str(one_rank[0]), "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n_image"] == 48 and report["n_text"] == 96 and report["dim"] == 32


def test_cancel_between_batches_leaves_no_file(coco_like: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    asked = iter([False, False, False] + [True] * 100)  # Ctrl-C arrives during the fourth batch
    monkeypatch.setattr(CancelRequest, "requested", lambda self: next(asked))
    out = tmp_path / "cancelled.safetensors"
    assert embed.main(args(coco_like, out, json.dumps({"factory": f"{FACTORY}:make"}))) == 130
    evs = events(capsys.readouterr().out)
    assert [e["done"] for e in evs if e["type"] == "progress"] == [16, 32, 48]
    assert evs[-1]["type"] == "note" and "cancelled" in evs[-1]["message"]
    assert os.listdir(tmp_path) == []  # neither the file nor a temp file


def test_cancel_file_present_at_start(coco_like: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cancel").write_text("")
    monkeypatch.setenv("EMBEDDING_LENS_CANCEL_FILE", str(tmp_path / "cancel"))
    assert embed.main(args(coco_like, tmp_path / "out.safetensors", json.dumps({"factory": f"{FACTORY}:make"}))) == 130
    assert not (tmp_path / "out.safetensors").exists()


@pytest.mark.parametrize(
    "model, data, out, file, problem",
    [
        ('"heads"', "pairs.csv", "out.safetensors", "--model", "already embedded"),
        ("{nope", "pairs.csv", "out.safetensors", "--model", "not valid JSON"),
        (json.dumps({"factory": f"{FACTORY}:make"}), "absent.csv", "out.safetensors", "absent.csv", "does not exist"),
        (json.dumps({"factory": f"{FACTORY}:make"}), "pairs.csv", "no/such/folder/out.safetensors", "out.safetensors", "folder does not exist"),
        (json.dumps({"factory": f"{FACTORY}:no_encode_text"}), "pairs.csv", "out.safetensors", "tiny_factory.py", "without encode_text"),
    ],
)
def test_bad_input_is_one_error_event(tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, data: str, out: str, file: str, problem: str) -> None:
    make_dataset(tmp_path, images=4)
    assert embed.main(["--model", model, "--data", str(tmp_path / data), "--out", str(tmp_path / out)]) == 2
    [error] = events(capsys.readouterr().out)
    assert error["type"] == "error" and error["rank"] == 0 and "\n" not in error["message"]
    assert error["input"]["file"].endswith(file) and problem in error["input"]["problem"]
