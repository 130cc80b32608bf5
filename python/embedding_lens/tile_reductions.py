"""
What the cross and within passes (gram_pass.py) take from one tile of scores s = a @ b^T, in two
forms with the same results. Eagerly (the CPU, or CUDA without torch.compile) as in-place operations
on one scratch tile; and as plain expressions that torch.compile fuses into a few reads of the tile
(CUDA with torch 2 and Triton). The products are never part of it: every score still comes from
gram_pass.tile(), so ties with the true pair stay bit for bit.

A first maximum is the largest of (s == max) * (descending index), a plain max reduction: torch's
max with indices along the columns of a tile is some 30 times slower than amax on the CPU.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

import torch


class TileReductions(NamedTuple):
    """A tile's reductions. Indices are within the tile; sums and counts are float32 over one tile edge."""

    row_max: torch.Tensor
    row_first: torch.Tensor
    col_max: torch.Tensor
    col_first: torch.Tensor
    #: sum over the row of exp((s - row_max) / tau), and down the column from col_max.
    row_exp: torch.Tensor
    col_exp: torch.Tensor
    #: scores above the row's best own-caption score, and above the column's true-pair score.
    row_count: torch.Tensor
    col_count: torch.Tensor
    #: sum over the row of exp(2t s - 2t), uniformity's cross-modal term.
    row_uniform: torch.Tensor


def _descending(n: int, device: torch.device) -> torch.Tensor:
    return torch.arange(n, 0, -1, dtype=torch.float32, device=device)


def reduce_tile(s: torch.Tensor, row_best: torch.Tensor, col_true: torch.Tensor, inv_tau: float, t2: float) -> TileReductions:
    """The eager form: every temporary is written into one scratch tile."""
    rows, cols = s.shape
    row_max, col_max = s.amax(1), s.amax(0)
    work = torch.empty_like(s)
    row_first = cols - torch.eq(s, row_max[:, None], out=work).mul_(_descending(cols, s.device)).amax(1)
    col_first = rows - torch.eq(s, col_max[None, :], out=work).mul_(_descending(rows, s.device)[:, None]).amax(0)
    row_exp = torch.add(row_max[:, None] * -inv_tau, s, alpha=inv_tau, out=work).exp_().sum(1)
    col_exp = torch.add(col_max[None, :] * -inv_tau, s, alpha=inv_tau, out=work).exp_().sum(0)
    row_count = torch.gt(s, row_best[:, None], out=work).sum(1)
    col_count = torch.gt(s, col_true[None, :], out=work).sum(0)
    row_uniform = uniform_row_sums(s, t2, work)
    return TileReductions(row_max, row_first.long(), col_max, col_first.long(), row_exp, col_exp, row_count, col_count, row_uniform)


def uniform_row_sums(s: torch.Tensor, t2: float, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """sum over each row of exp(2t s - 2t), eagerly, into `out` (default: over s itself)."""
    return uniform_terms(s, t2, out).sum(1)


def uniform_terms(s: torch.Tensor, t2: float, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """exp(2t s - 2t), uniformity's terms, written into `out` (default: over s itself)."""
    return torch.add(torch.full((), -t2, device=s.device), s, alpha=t2, out=s if out is None else out).exp_()


def reduce_tile_expressions(s: torch.Tensor, row_best: torch.Tensor, col_true: torch.Tensor, inv_tau: float, t2: float) -> TileReductions:
    """reduce_tile() as expressions without scratch or in-place writes, for torch.compile to fuse."""
    rows, cols = s.shape
    row_max, col_max = s.amax(1), s.amax(0)
    row_first = cols - ((s == row_max[:, None]) * _descending(cols, s.device)).amax(1)
    col_first = rows - ((s == col_max[None, :]) * _descending(rows, s.device)[:, None]).amax(0)
    return TileReductions(
        row_max, row_first.long(), col_max, col_first.long(),
        torch.exp(s * inv_tau + row_max[:, None] * -inv_tau).sum(1),
        torch.exp(s * inv_tau + col_max[None, :] * -inv_tau).sum(0),
        (s > row_best[:, None]).to(torch.float32).sum(1),
        (s > col_true[None, :]).to(torch.float32).sum(0),
        uniform_row_sums_expression(s, t2),
    )


def uniform_row_sums_expression(s: torch.Tensor, t2: float) -> torch.Tensor:
    """uniform_row_sums() as one expression (s is left as it is)."""
    return torch.exp(s * t2 - t2).sum(1)


@dataclass
class TileKernels:
    """The two reductions the passes call, and how they run ("eager", or "compiled")."""

    reduce: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float, float], TileReductions]
    #: May overwrite its tile.
    uniform_row_sums: Callable[[torch.Tensor, float], torch.Tensor]
    form: str


EAGER = TileKernels(reduce_tile, uniform_row_sums, "eager")

#: EMBEDDING_LENS_COMPILE=0 keeps the eager form on CUDA too (say, where Triton is broken).
COMPILE_SWITCH = "EMBEDDING_LENS_COMPILE"


def kernels_for(device: torch.device, note: Optional[Callable[[str], None]] = None, force_compile: bool = False) -> TileKernels:
    """The compiled form on CUDA when torch.compile and Triton exist (or when forced, as the tests do on the CPU), else EAGER."""
    # Without Triton (Windows, ROCm builds without it) torch.compile cannot build CUDA kernels: eager, silently.
    wanted = force_compile or (device.type == "cuda" and os.environ.get(COMPILE_SWITCH, "1") != "0" and importlib.util.find_spec("triton") is not None)
    if not wanted or not hasattr(torch, "compile"):
        return EAGER
    compiled = _Compiled(note)
    return TileKernels(compiled.reduce, compiled.uniform_row_sums, "compiled")


def _out_of_memory(err: BaseException) -> bool:
    return isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in str(err)


class _Compiled:
    """
    The compiled forms, falling back to the eager ones (and saying so once) when compiling fails.
    Calls hold a lock: worker threads (one per GPU) would otherwise compile at once, which dynamo
    does not support; the GIL serialises these calls anyway, and the kernels they queue run on.
    """

    def __init__(self, note: Optional[Callable[[str], None]]) -> None:
        config: Any = getattr(getattr(torch, "_dynamo", None), "config", None)
        # One entry per device and ragged tile shape: eight GPUs would pass the default limit of 8.
        for limit in ("recompile_limit", "cache_size_limit"):
            if hasattr(config, limit):
                setattr(config, limit, max(64, getattr(config, limit)))
        self._reduce = torch.compile(reduce_tile_expressions, dynamic=True)
        self._uniform = torch.compile(uniform_row_sums_expression, dynamic=True)
        self._lock = threading.Lock()
        self._note = note
        self._failed = False

    def reduce(self, s: torch.Tensor, row_best: torch.Tensor, col_true: torch.Tensor, inv_tau: float, t2: float) -> TileReductions:
        return self._call(self._reduce, reduce_tile, s, row_best, col_true, inv_tau, t2)

    def uniform_row_sums(self, s: torch.Tensor, t2: float) -> torch.Tensor:
        return self._call(self._uniform, uniform_row_sums, s, t2)

    def _call(self, compiled: Callable[..., Any], eager: Callable[..., Any], *args: Any) -> Any:
        if not self._failed:
            try:
                with self._lock:
                    return compiled(*args)
            except Exception as err:  # noqa: BLE001 - any compiler failure falls back; out of memory is retried by metrics.py
                if _out_of_memory(err):
                    raise
                self._failed = True
                if self._note is not None:
                    self._note(f"torch.compile failed ({type(err).__name__}: {' '.join(str(err).split())[:200]}); "
                               "the tile reductions run uncompiled")
        return eager(*args)
