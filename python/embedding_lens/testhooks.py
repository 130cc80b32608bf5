"""
Faults the tests inject into a run through the environment, all in this one place: a rank that
raises, and a loss that turns NaN, at a given step. Unset, they do nothing.
"""
from __future__ import annotations

import os

import torch

FAIL_RANK = "EMBEDDING_LENS_TEST_FAIL_RANK"
FAIL_STEP = "EMBEDDING_LENS_TEST_FAIL_STEP"
NAN_STEP = "EMBEDDING_LENS_TEST_NAN_STEP"


def _step_of(name: str) -> int:
    return int(os.environ.get(name) or 1)


def maybe_fail(rank: int, step: int) -> None:
    if os.environ.get(FAIL_RANK) == str(rank) and step == _step_of(FAIL_STEP):
        raise RuntimeError(f"test hook {FAIL_RANK}: rank {rank} fails at step {step}")


def maybe_poison(loss: torch.Tensor, step: int) -> torch.Tensor:
    if os.environ.get(NAN_STEP) and step == _step_of(NAN_STEP):
        return loss * float("nan")
    return loss
