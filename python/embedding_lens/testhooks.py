"""
Faults the tests inject into a run through the environment, all in this one place: a rank that
raises, and a loss that turns NaN, at a given step; a rank of `analyze` that runs out of device
memory while its tiles are large. Unset, they do nothing.
"""
from __future__ import annotations

import os

import torch

FAIL_RANK = "EMBEDDING_LENS_TEST_FAIL_RANK"
FAIL_STEP = "EMBEDDING_LENS_TEST_FAIL_STEP"
NAN_STEP = "EMBEDDING_LENS_TEST_NAN_STEP"
OOM_RANK = "EMBEDDING_LENS_TEST_OOM_RANK"
OOM_TILE = "EMBEDDING_LENS_TEST_OOM_TILE"


def _step_of(name: str) -> int:
    return int(os.environ.get(name) or 1)


def maybe_fail(rank: int, step: int) -> None:
    if os.environ.get(FAIL_RANK) == str(rank) and step == _step_of(FAIL_STEP):
        raise RuntimeError(f"test hook {FAIL_RANK}: rank {rank} fails at step {step}")


def maybe_poison(loss: torch.Tensor, step: int) -> torch.Tensor:
    if os.environ.get(NAN_STEP) and step == _step_of(NAN_STEP):
        return loss * float("nan")
    return loss


def maybe_run_out_of_memory(rank: int, tile_edge: int) -> None:
    """Rank OOM_RANK runs out of device memory while the analysis tiles' row edge is above OOM_TILE (default 0: always)."""
    if os.environ.get(OOM_RANK) == str(rank) and tile_edge > int(os.environ.get(OOM_TILE) or 0):
        # What CUDA raises; builds without the class raise a RuntimeError with this message.
        error = getattr(torch.cuda, "OutOfMemoryError", RuntimeError)
        raise error(f"CUDA out of memory (test hook {OOM_RANK}: rank {rank}, tiles of edge {tile_edge})")
