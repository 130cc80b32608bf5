"""
The ranks of a run, as torchrun starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT in the
environment; none: one process, rank 0 of 1), the device each rank uses, and the collectives the
trainer needs: features gathered with their gradient, and flags every rank agrees on.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any, Union

import torch
import torch.distributed as dist

from .errors import InputError


@dataclass
class Ranks:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1


def env_ranks() -> tuple[int, int, int]:
    """(rank, world, local rank) from torchrun's environment; (0, 1, 0) without it."""
    def number(name: str, default: int) -> int:
        value = os.environ.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise InputError(name, f"the environment variable is {value!r}, not an integer") from None

    return number("RANK", 0), number("WORLD_SIZE", 1), number("LOCAL_RANK", 0)


def choose_device(devices: Union[str, int, list[int]], local_rank: int, world: int) -> torch.device:
    """
    auto: cuda:LOCAL_RANK with CUDA, else MPS for a single process, else the CPU. A count is how many
    ranks the launcher started (gloo ranks on the CPU); a list names CUDA devices, which the launcher
    (the TS side) makes visible with CUDA_VISIBLE_DEVICES, so a rank takes the visible device of its
    local rank.
    """
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        if local_rank >= count:
            raise InputError("devices", f"rank with local rank {local_rank} has no CUDA device ({count} visible); launch at most {count} ranks per node")
        return torch.device("cuda", local_rank)
    if isinstance(devices, list):
        raise InputError("devices", f"{devices!r} names CUDA devices, but torch {torch.__version__} sees none; use \"auto\" to train on the CPU")
    mps = getattr(torch.backends, "mps", None)
    if world == 1 and mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def use_cpu_cores(local_world: int) -> None:
    """
    A rank on the CPU computes on its share of this process's cores. Some OpenMP builds (Debian's
    torch 1.13) start with one thread whatever the cores; an explicit OMP_NUM_THREADS (torchrun sets
    1 for several ranks) is the user's and stays.
    """
    if "OMP_NUM_THREADS" in os.environ:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, cores // max(1, local_world)))


def init(devices: Union[str, int, list[int]]) -> Ranks:
    rank, world, local_rank = env_ranks()
    device = choose_device(devices, local_rank, world)
    if device.type == "cpu":
        use_cpu_cores(int(os.environ.get("LOCAL_WORLD_SIZE", world)))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        try:
            dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
        except RuntimeError as err:
            raise InputError(f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}",
                             f"the ranks could not meet there ({str(err).splitlines()[0] if str(err) else type(err).__name__}); is the rendezvous port in use?") from None
    return Ranks(rank, world, local_rank, device)


def destroy() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def gather_with_grad(local: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """
    Every rank's rows in rank order, the local shard being `local` itself, so the loss's gradient
    flows back into this rank's features (the other shards are constants here; their own ranks
    backpropagate them). Shards must have equal row counts.
    """
    if not ranks.distributed:
        return local
    parts = [torch.empty_like(local) for _ in range(ranks.world)]
    dist.all_gather(parts, local.detach().contiguous())
    parts[ranks.rank] = local
    return torch.cat(parts)


def gather_rows(local: torch.Tensor, total: int, ranks: Ranks) -> torch.Tensor:
    """Row shards of unequal sizes (contiguous, in rank order), concatenated to `total` rows on every rank."""
    if not ranks.distributed:
        return local
    most = -(-total // ranks.world)
    padded = torch.zeros((most, *local.shape[1:]), dtype=local.dtype, device=local.device)
    padded[: local.shape[0]] = local
    parts = [torch.empty_like(padded) for _ in range(ranks.world)]
    dist.all_gather(parts, padded)
    sizes = [len(shard(total, r, ranks.world)) for r in range(ranks.world)]
    return torch.cat([p[:n] for p, n in zip(parts, sizes)])


def shard(total: int, rank: int, world: int) -> range:
    """Rank `rank`'s contiguous share of `total` items."""
    return range(total * rank // world, total * (rank + 1) // world)


def agree(flags: list[bool], ranks: Ranks) -> list[bool]:
    """Each flag true on every rank when it is true on any (one all-reduce MAX)."""
    if not ranks.distributed:
        return flags
    t = torch.tensor([1.0 if f else 0.0 for f in flags], device=ranks.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def broadcast_object(value: Any, ranks: Ranks) -> Any:
    """Rank 0's value on every rank."""
    if not ranks.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ranks: Ranks) -> None:
    if ranks.distributed:
        dist.barrier()
