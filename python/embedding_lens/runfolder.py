"""
The run folder <out>/<name>/, as src/core/train/runFolder.ts lays it out: run.jsonl,
epoch-K.safetensors (eval embeddings after the model, metrics and config in __metadata__; for heads
also the head weights and AdamW moments under the TS names, so either engine resumes the other's
run), best.safetensors, and for full models model-epoch-K.safetensors (the trainable weights) and
resume-epoch-K.pt (optimizer, scheduler step, RNG states). Rank 0 writes; every write is atomic.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Optional

import torch

from .errors import InputError
from .events import to_json
from .tensorfile import TEMP_NAME, read_safetensors, write_atomic, write_safetensors

LOG_NAME = "run.jsonl"
BEST_NAME = "best.safetensors"
CHECKPOINT = re.compile(r"^epoch-(\d+)\.safetensors$")


def checkpoint_name(epoch: int) -> str:
    return f"epoch-{epoch}.safetensors"


def model_name(epoch: int) -> str:
    return f"model-epoch-{epoch}.safetensors"


def resume_name(epoch: int) -> str:
    return f"resume-epoch-{epoch}.pt"


def refuse_taken(run_dir: str, resume: bool) -> None:
    """A folder holding a run's log or checkpoints is refused unless the run is resumed."""
    if resume:
        return
    try:
        names = os.listdir(run_dir)
    except OSError:
        return
    if LOG_NAME in names:
        raise InputError(run_dir, 'already holds a run; resume it (--resume, or "resume": true) or choose another name')
    taken = sorted(n for n in names if n == BEST_NAME or CHECKPOINT.match(n))
    if taken:
        raise InputError(run_dir, f"already holds {', '.join(taken)}, which a new run would overwrite; choose another name")


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def make_run_folder(run_dir: str) -> None:
    """Creates the folder, fails now when it is not writable, and clears temp files of killed writers."""
    probe = os.path.join(run_dir, f".write-probe-{os.getpid()}")
    try:
        os.makedirs(run_dir, exist_ok=True)
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as err:
        raise InputError(run_dir, f"the run folder is not writable ({err.strerror or err})") from None
    for name in os.listdir(run_dir):
        m = TEMP_NAME.match(name)
        if m and _process_gone(int(m.group(1))):
            os.remove(os.path.join(run_dir, name))


def append_log(run_dir: str, events: list[dict[str, Any]]) -> None:
    if events:
        with open(os.path.join(run_dir, LOG_NAME), "a", encoding="utf-8") as f:
            f.write("".join(to_json(e) + "\n" for e in events))


def read_log(run_dir: str) -> list[dict[str, Any]]:
    file = os.path.join(run_dir, LOG_NAME)
    try:
        with open(file, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return []
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            raise InputError(file, f"line {i + 1} is not JSON") from None
    return out


def trim_log(run_dir: str, epoch: int) -> list[dict[str, Any]]:
    """Rewrites the log without what came after `epoch` (a cancelled or diverged epoch's steps)."""
    kept = [e for e in read_log(run_dir) if e.get("epoch", 0) <= epoch]
    file = os.path.join(run_dir, LOG_NAME)

    def write(tmp: str) -> None:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write("".join(to_json(e) + "\n" for e in kept))

    write_atomic(file, write)
    return kept


def last_checkpoint_epoch(run_dir: str) -> Optional[int]:
    try:
        names = os.listdir(run_dir)
    except OSError:
        return None
    epochs = [int(m.group(1)) for m in map(CHECKPOINT.match, names) if m]
    return max(epochs) if epochs else None


@dataclass
class EvalEmbeddings:
    image: torch.Tensor
    text: torch.Tensor
    text_to_image: Optional[torch.Tensor]
    captions: Optional[list[str]]


def write_checkpoint(file: str, epoch: int, step: int, evals: EvalEmbeddings, metadata: dict[str, str],
                     extra: dict[str, torch.Tensor]) -> None:
    """epoch-K / best: the eval set's embeddings, then `extra` (the heads' weights and moments)."""
    tensors: dict[str, torch.Tensor] = {
        "image_embeds": evals.image.float().cpu(),
        "text_embeds": evals.text.float().cpu(),
        **{k: v.float().cpu() for k, v in extra.items()},
    }
    if evals.text_to_image is not None:
        tensors["text_to_image"] = evals.text_to_image.to(torch.int32).cpu()
    meta = dict(metadata)
    if evals.captions is not None:
        meta["captions"] = json.dumps(evals.captions, ensure_ascii=False)
    meta["epoch"] = str(epoch)
    meta["step"] = str(step)
    write_safetensors(file, tensors, meta)


@dataclass
class CheckpointState:
    epoch: int
    step: int
    config: Optional[str]
    tensors: dict[str, torch.Tensor]


def read_checkpoint_state(file: str) -> CheckpointState:
    tensors, metadata = read_safetensors(file)
    try:
        epoch, step = int(metadata["epoch"]), int(metadata["step"])
    except (KeyError, ValueError):
        raise InputError(file, "its __metadata__ lacks the epoch and step of a training checkpoint") from None
    return CheckpointState(epoch, step, metadata.get("config"), tensors)


def save_torch(file: str, value: Any) -> None:
    """torch.save to a temp name, then renamed."""
    write_atomic(file, lambda tmp: torch.save(value, tmp))


def load_torch(file: str) -> Any:
    """What save_torch wrote: tensors, numbers and strings only, so weights_only loading suffices."""
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as err:
        raise InputError(file, f"cannot read the resume state ({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
