"""
One optimizer step on the global batch: each rank encodes its contiguous shard, the features of all
ranks are gathered (the local shard keeping its gradient), every rank computes the same loss on the
global batch, the ranks agree on cancel and on a non-finite loss, and only then backward and AdamW.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, ContextManager, Mapping

import torch

from . import testhooks
from .cancel import CancelRequest
from .distributed import Ranks, agree, gather_with_grad
from .errors import InputError
from .losses import m3mix_loss

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def autocast_for(precision: str, device: torch.device) -> ContextManager[Any]:
    """The model's forward under the configured precision; the loss always runs in float32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def check_precision(precision: str, device: torch.device) -> None:
    if precision == "amp" and device.type != "cuda":
        raise InputError("precision", f'"amp" (float16 with loss scaling) needs CUDA, and this run is on {device.type}; use "bf16" or "fp32"')
    if precision != "fp32" and device.type not in ("cuda", "cpu"):
        raise InputError("precision", f'"{precision}" autocast is not available on {device.type}; use "fp32"')


@dataclass
class StepOutcome:
    loss: float
    components: dict[str, float]
    #: Some rank asked to stop: the step was not applied.
    cancelled: bool = False


class Stepper:
    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, ranks: Ranks, precision: str,
                 tau: float, tau_m: float, cancel: CancelRequest) -> None:
        self.model = model
        self.optimizer = optimizer
        self.ranks = ranks
        self.precision = precision
        self.tau, self.tau_m = tau, tau_m
        self.cancel = cancel
        self.scaler = torch.cuda.amp.GradScaler() if precision == "amp" else None

    def run(self, images: Any, texts: Any, lr: float, weights: Mapping[str, float], lambdas: Mapping[str, float], step: int) -> StepOutcome:
        """A non-finite loss is returned without an update; the caller ends the run."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.precision, self.ranks.device):
            x, y = self.model(images, texts)
        result = m3mix_loss(gather_with_grad(x.float(), self.ranks), gather_with_grad(y.float(), self.ranks),
                            self.tau, self.tau_m, weights, lambdas)
        loss = testhooks.maybe_poison(result.loss, step)
        testhooks.maybe_fail(self.ranks.rank, step)
        value = float(loss.detach())
        stop, bad = agree([self.cancel.requested(), not math.isfinite(value)], self.ranks)
        outcome = StepOutcome(value, {k: float(v.detach()) for k, v in result.components.items()}, cancelled=stop)
        if stop or bad:
            return outcome
        # Each rank's loss reaches only its own shard; DDP averages the ranks' gradients, so
        # scaling by the world size makes the update the one of the whole batch on one rank.
        scaled = loss * self.ranks.world
        if self.scaler is not None:
            self.scaler.scale(scaled).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            scaled.backward()
            self.optimizer.step()
        return outcome


def is_out_of_memory(err: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(err, oom)) or (isinstance(err, RuntimeError) and "out of memory" in str(err))
