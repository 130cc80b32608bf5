"""
The tiles of the Gram matrices that metrics.py reads: X Y^T once for both query directions, and the
upper triangles of X X^T and Y Y^T for uniformity. Rows are cut into blocks, columns into tiles;
row block r belongs to worker r mod W (a worker: one device of one rank), so the work splits over
GPUs and torchrun ranks without changing a single product. Captions are sorted by their image, so
the true pairs lie on a staircase of tiles; those tiles are computed first to learn every query's
true score, then again in the main pass, by the same call on the same operands, so a candidate that
ties the true pair ties it bit for bit (METRICS.md: ties count for the true pair).

What each tile gives up is tile_reductions.py's (compiled on CUDA). Elementwise work stays in
float32 on arguments <= 0 (exp of a difference from a maximum, or of 4s - 4); each tile's row or
column sums (at most a tile's width of terms) are added in float64. Nothing waits for the device
inside the loops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch

from .tile_reductions import TileKernels, uniform_terms

UNIFORMITY_T = 2.0
ECE_TAU = 0.01
NO_INDEX = torch.iinfo(torch.int64).max


@dataclass
class Temperatures:
    """ECE's softmax temperature and uniformity's t (METRICS.md's defaults)."""

    ece_tau: float = ECE_TAU
    uniformity_t: float = UNIFORMITY_T


@dataclass
class Tiling:
    rows: int
    cols: int

    def row_blocks(self, n: int) -> list[tuple[int, int]]:
        return [(a, min(n, a + self.rows)) for a in range(0, n, self.rows)]

    def col_blocks(self, n: int, start: int = 0) -> list[tuple[int, int]]:
        return [(p, min(n, p + self.cols)) for p in range(start, n, self.cols)]


@dataclass
class Operands:
    """Unit rows on one device: images x, captions y sorted by image (owner), caption_of[k] = k's original index."""

    x: torch.Tensor
    y: torch.Tensor
    owner: torch.Tensor
    caption_of: Optional[torch.Tensor]


@dataclass
class Partial:
    """One worker's statistics: its rows complete, every column partial (merged by merge.py's rules)."""

    row_rank: torch.Tensor
    row_hardest: torch.Tensor
    row_confidence: torch.Tensor
    row_correct: torch.Tensor
    col_count: torch.Tensor
    col_hardest: torch.Tensor
    col_max: torch.Tensor
    col_argmax: torch.Tensor
    col_expsum: torch.Tensor
    #: float64 [cross-modal exp sum, within-X, within-Y] (the within sums are filled by within_pass).
    sums: torch.Tensor


def tile(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The one product every score comes from (pre-pass and main pass alike)."""
    return a @ b.T


def staircase(owner_sorted: list[int], tiling: Tiling, ni: int, nt: int) -> set[tuple[int, int]]:
    """(row block, column block) of every tile holding a true pair, from the sorted owners (host list)."""
    tiles: set[tuple[int, int]] = set()
    for c, (p, q) in enumerate(tiling.col_blocks(nt)):
        for r in range(owner_sorted[p] // tiling.rows, owner_sorted[q - 1] // tiling.rows + 1):
            tiles.add((r, c))
    return tiles


def true_scores(ops: Operands, tiling: Tiling, mine: list[int], stairs: set[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """
    For this worker's row blocks: each image's best own-caption score (row) and each caption's true
    score (column), -inf elsewhere, to be merged with MAX.
    """
    ni, nt = ops.x.shape[0], ops.y.shape[0]
    dev = ops.x.device
    row_best = torch.full((ni,), -math.inf, device=dev)
    col_true = torch.full((nt,), -math.inf, device=dev)
    rows, cols = tiling.row_blocks(ni), tiling.col_blocks(nt)
    for r, c in sorted(stairs):
        if r not in mine:
            continue
        (a, b), (p, q) = rows[r], cols[c]
        own = tile(ops.x[a:b], ops.y[p:q]).masked_fill_(~_mine(ops.owner[p:q], a, b), -math.inf)
        torch.maximum(row_best[a:b], own.max(1).values, out=row_best[a:b])
        torch.maximum(col_true[p:q], own.max(0).values, out=col_true[p:q])
    return row_best, col_true


def _mine(owner_cols: torch.Tensor, a: int, b: int) -> torch.Tensor:
    return owner_cols[None, :] == torch.arange(a, b, device=owner_cols.device)[:, None]


def _first_of_ties(s: torch.Tensor, best: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """The lowest original caption index among a row's maxima (captions are sorted, not in file order)."""
    return torch.where(s == best[:, None], original[None, :], torch.full_like(original, NO_INDEX)[None, :]).min(1).values


def cross_pass(ops: Operands, tiling: Tiling, temps: Temperatures, mine: list[int], stairs: set[tuple[int, int]],
               row_best: torch.Tensor, col_true: torch.Tensor, kernels: TileKernels, tick: Callable[[], bool]) -> Optional[Partial]:
    """Both query directions from the rows of X Y^T this worker owns; None when tick() asks to stop."""
    ni, nt = ops.x.shape[0], ops.y.shape[0]
    dev = ops.x.device
    inv_tau = 1 / temps.ece_tau
    t2 = 2 * temps.uniformity_t
    part = Partial(
        row_rank=torch.zeros(ni, dtype=torch.int64, device=dev),
        row_hardest=torch.zeros(ni, device=dev),
        row_confidence=torch.zeros(ni, dtype=torch.float64, device=dev),
        row_correct=torch.zeros(ni, dtype=torch.int64, device=dev),
        col_count=torch.zeros(nt, dtype=torch.float64, device=dev),
        col_hardest=torch.full((nt,), -math.inf, device=dev),
        col_max=torch.full((nt,), -math.inf, device=dev),
        col_argmax=torch.full((nt,), NO_INDEX, dtype=torch.int64, device=dev),
        col_expsum=torch.zeros(nt, dtype=torch.float64, device=dev),
        sums=torch.zeros(3, dtype=torch.float64, device=dev),
    )
    rows, cols = tiling.row_blocks(ni), tiling.col_blocks(nt)
    for r in mine:
        a, b = rows[r]
        best = row_best[a:b]
        r_max = torch.full((b - a,), -math.inf, device=dev)
        r_arg = torch.full((b - a,), NO_INDEX, dtype=torch.int64, device=dev)
        r_hard = torch.full((b - a,), -math.inf, device=dev)
        r_sum = torch.zeros(b - a, dtype=torch.float64, device=dev)
        r_count = torch.zeros(b - a, dtype=torch.float64, device=dev)
        for c, (p, q) in enumerate(cols):
            s = tile(ops.x[a:b], ops.y[p:q])
            red = kernels.reduce(s, best, col_true[p:q], inv_tau, t2)
            t_max, c_max = red.row_max, red.col_max
            if (r, c) in stairs:
                negatives = s.masked_fill(_mine(ops.owner[p:q], a, b), -math.inf)
                t_hard, c_hard = negatives.amax(1), negatives.amax(0)
                del negatives
            else:
                t_hard, c_hard = t_max, c_max
            original = ops.caption_of[p:q] if ops.caption_of is not None else None
            t_first = _first_of_ties(s, t_max, original) if original is not None else red.row_first + p
            # Strictly greater, or a tie with a caption earlier in the file: the first maximum wins.
            take = (t_max > r_max) | ((t_max == r_max) & (t_first < r_arg))
            r_arg = torch.where(take, t_first, r_arg)
            new_max = torch.maximum(r_max, t_max)
            r_sum = (r_sum * torch.exp((r_max - new_max).double() * inv_tau)
                     + red.row_exp.double() * torch.exp((t_max - new_max).double() * inv_tau))
            r_max = new_max
            torch.maximum(r_hard, t_hard, out=r_hard)
            r_count += red.row_count.double()
            part.col_count[p:q] += red.col_count.double()
            torch.maximum(part.col_hardest[p:q], c_hard, out=part.col_hardest[p:q])
            _merge_column_max(part, p, q, c_max, red.col_first + a)
            c_new = torch.maximum(part.col_max[p:q], c_max)
            part.col_expsum[p:q] = (part.col_expsum[p:q] * torch.exp((part.col_max[p:q] - c_new).double() * inv_tau)
                                    + red.col_exp.double() * torch.exp((c_max - c_new).double() * inv_tau))
            part.col_max[p:q] = c_new
            part.sums[0] += red.row_uniform.double().sum()
        part.row_rank[a:b] = r_count.round().long()
        part.row_hardest[a:b] = r_hard
        part.row_confidence[a:b] = 1 / r_sum
        owner_of_best = ops.owner[_sorted_position(ops, r_arg)]
        part.row_correct[a:b] = (owner_of_best == torch.arange(a, b, device=dev)).long()
        if not tick():
            return None
    return part


def _merge_column_max(part: Partial, p: int, q: int, value: torch.Tensor, row: torch.Tensor) -> None:
    """Running first maximum of each column: rows come in ascending blocks, so only a larger value replaces."""
    take = value > part.col_max[p:q]
    part.col_argmax[p:q] = torch.where(take, row, part.col_argmax[p:q])


def _sorted_position(ops: Operands, original: torch.Tensor) -> torch.Tensor:
    """Column of each original caption index (the inverse of the sort)."""
    if ops.caption_of is None:
        return original
    inverse = torch.empty_like(ops.caption_of)
    inverse[ops.caption_of] = torch.arange(len(ops.caption_of), device=ops.caption_of.device)
    return inverse[original]


def within_pass(z: torch.Tensor, tiling: Tiling, temps: Temperatures, mine: list[int], kernels: TileKernels,
                tick: Callable[[], bool]) -> Optional[torch.Tensor]:
    """Sum of exp(-t ||z_i - z_j||^2) = exp(2t s_ij - 2t) over i < j in this worker's row blocks (float64)."""
    n = z.shape[0]
    t2 = 2 * temps.uniformity_t
    total = torch.zeros((), dtype=torch.float64, device=z.device)
    rows = tiling.row_blocks(n)
    for r in mine:
        a, b = rows[r]
        square = tile(z[a:b], z[a:b])
        total += uniform_terms(square, t2).triu_(1).sum(1).double().sum()
        for p, q in tiling.col_blocks(n, b):
            total += kernels.uniform_row_sums(tile(z[a:b], z[p:q]), t2).double().sum()
        if not tick():
            return None
    return total
