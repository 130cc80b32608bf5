"""Shared helpers: generated pair data, and runs of the torch engine as the extension launches them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
# The package under test, as the extension runs it: from python/ on the path (PYTHONPATH for subprocesses).
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))
PREFIX = "@embedding-lens "


def pair_data(n: int, d: int, seed: int, noise: float = 0.7) -> np.ndarray:
    """(2, n, d) float32: images and captions near them, so retrieval is neither perfect nor chance."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, d)).astype(np.float32)
    y = (x + noise * r.standard_normal((n, d))).astype(np.float32)
    return np.stack([x, y])


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pairs.npy (2,500 pairs) and captions.npz (1,100 images, 2,400 captions): three row blocks of the
    CPU tiling (1024 rows), so 2 ranks each own some and one owns two, and several column tiles: the
    sharded, blocked path."""
    folder = tmp_path_factory.mktemp("shards")
    np.save(folder / "pairs.npy", pair_data(2500, 16, 3, noise=1.2))
    r = np.random.default_rng(5)
    x = r.standard_normal((1100, 16)).astype(np.float32)
    owner = np.concatenate([np.arange(1100), r.integers(0, 1100, 1300)])
    r.shuffle(owner)
    y = (x[owner] + r.standard_normal((2400, 16))).astype(np.float32)
    np.savez(folder / "captions.npz", image_embeds=x, text_embeds=y, text_to_image=owner.astype(np.int32))
    return folder


def engine_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBEDDING_LENS_TEST_")}
    env["PYTHONPATH"] = str(PYTHON_DIR)
    env["OMP_NUM_THREADS"] = "1"
    # These are CPU (gloo) rank tests: on a machine with one GPU, "auto" would give every rank CUDA.
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra or {})
    return env


def launch_command(config: Path, nproc: int, overrides: Optional[dict[str, Any]] = None) -> list[str]:
    tail = ["-m", "embedding_lens", "train", str(config)]
    if overrides:
        tail += ["--overrides", json.dumps(overrides)]
    if nproc == 1:
        return [sys.executable, *tail]
    # The form python/README.md gives: a rendezvous on a free port (torch 1.13's --standalone takes
    # the fixed port 29400, so two runs at once collide), 9:1 for 1.13's --redirects/--tee parsing.
    return [sys.executable, "-m", "torch.distributed.run", "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0", "--nnodes=1",
            f"--nproc_per_node={nproc}", "--redirects", "9:1", "--tee", "9:1", *tail]


@dataclass
class Finished:
    code: int
    events: list[dict[str, Any]]
    stderr: str

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


def events_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line[len(PREFIX):]) for line in stdout.splitlines() if line.startswith(PREFIX)]


def run_engine(config: Path, nproc: int = 1, overrides: Optional[dict[str, Any]] = None,
               env: Optional[dict[str, str]] = None, timeout: float = 120) -> Finished:
    p = subprocess.run(launch_command(config, nproc, overrides), capture_output=True, text=True, env=engine_env(env), timeout=timeout)
    return Finished(p.returncode, events_of(p.stdout), p.stderr)


def write_config(folder: Path, stem: str, **keys: Any) -> Path:
    file = folder / f"{stem}.m2mix.json"
    file.write_text(json.dumps({"engine": "torch", **keys}))
    return file


@pytest.fixture
def pairs_dir(tmp_path: Path) -> Path:
    """train.npy (256 pairs) and eval.npy (64 pairs), D = 32."""
    np.save(tmp_path / "train.npy", pair_data(256, 32, 1))
    np.save(tmp_path / "eval.npy", pair_data(64, 32, 2))
    return tmp_path
